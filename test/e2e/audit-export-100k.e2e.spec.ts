import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { EventStore, type NewEvent } from '@care/event-store';
import { freshDatabase } from '../../libs/event-store/src/testing/fresh-database';
import { http, startTestStack, type TestStack } from '../support/test-stack';

/**
 * `GET /audit/export` over HTTP with 100,000 events: every entry exactly once, in the cursor's order
 * (transaction id, global position), identical to paging `GET /audit/events`, and in bounded memory.
 * The events go through the real append path (`EventStore.append` -> `es.append_events`, 100 events
 * per call, so every hash chain is valid) into a database of this file's own, so the other suites'
 * counts are untouched. The API runs in this process, so its heap is this process's heap.
 */
const TOTAL = 100_000;
const PER_STREAM = 100;
const SITE = 'site-export-100k';
// Live heap growth allowed during an export: a fraction of the 60 MiB (NDJSON) and 32 MiB (CSV) the
// exports weigh, so an export that buffered the log (or a client that could not keep up) fails.
const HEAP_GROWTH_LIMIT = 16 * 1024 * 1024;

const note = (m: string) => process.stderr.write(`[export-100k] ${m}\n`);

type Fed = { lines: number; bytes: number; peakHeapGrowth: number };

// A full collection on demand, so samples show the live heap rather than garbage V8 has not yet
// collected (heapUsed without it swings by 100 MB with the export's short-lived rows and strings).
v8.setFlagsFromString('--expose-gc');
const collect = vm.runInNewContext('gc') as () => void;

/**
 * Reads a streamed body line by line without keeping it, handing each line to `onLine`, while taking
 * the live heap (after a full collection) every 2 s (a collection costs ~0.3 s here; a buffering
 * export grows steadily, so coarse samples still catch it). Growth is against the live heap just before
 * the request; the API serves from this very process, so its buffers count too.
 */
const consume = async (url: string, token: string, onLine: (line: string, index: number) => void): Promise<Fed & { status: number }> => {
  collect();
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  const started = Date.now();
  let gcMs = 0;
  const sampler = setInterval(() => {
    const t = Date.now();
    collect();
    gcMs += Date.now() - t;
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, 2000);
  try {
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    const decoder = new TextDecoder();
    let rest = '';
    let lines = 0;
    let bytes = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.byteLength;
      const text = rest + decoder.decode(chunk, { stream: true });
      const parts = text.split('\n');
      rest = parts.pop()!;
      for (const line of parts) onLine(line, lines++);
    }
    if (rest !== '') onLine(rest, lines++);
    note(`${url.replace(/^.*\/audit/, '/audit')}: ${lines} lines, ${(bytes / 1048576).toFixed(1)} MiB in ${Date.now() - started} ms, peak live heap growth ${((peak - before) / 1048576).toFixed(1)} MiB (${gcMs} ms in forced collections)`);
    return { status: res.status, lines, bytes, peakHeapGrowth: peak - before };
  } finally {
    clearInterval(sampler);
  }
};

describe('audit export of 100,000 events (HTTP)', () => {
  let fresh: Awaited<ReturnType<typeof freshDatabase>>;
  let stack: TestStack;
  let token: string;
  /** Positions in the order the cursor promises, read straight from the table. */
  let expected: string[];

  beforeAll(async () => {
    fresh = await freshDatabase();
    const suiteUrl = process.env['DATABASE_URL'];
    process.env['DATABASE_URL'] = fresh.url;
    try {
      stack = await startTestStack();
    } finally {
      process.env['DATABASE_URL'] = suiteUrl;
    }
    token = await stack.token({ sub: 'u-aud-x', name: 'Ada Auditor', role: 'auditor', site: SITE });

    const store = new EventStore(fresh.owner);
    const metadata = (i: number) => ({
      actor: { id: `u-${i % 7}`, name: `Clinician ${i % 7}`, role: i % 2 ? 'therapist' : 'coordinator', siteId: SITE },
      occurredAt: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
      correlationId: `corr-${i}`,
    });
    const streams = TOTAL / PER_STREAM;
    const loadStarted = Date.now();
    let next = 0;
    // Four writers, one append of 100 events per course: the real hash chain, at bulk speed.
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let s = next++; s < streams; s = next++) {
          const events: NewEvent[] = Array.from({ length: PER_STREAM }, (_, v) =>
            v === 0
              ? { type: 'CourseStarted', schemaVersion: 1, data: { courseId: `x-${s}`, patientRef: `P-X-${s}`, siteId: SITE, protocolId: 'mdma-at-ptsd' }, metadata: metadata(s) }
              : { type: 'NoteRecorded', schemaVersion: 1, data: { note: `observation ${v}, "quoted", commas`, score: (s * v) % 53 }, metadata: metadata(s * PER_STREAM + v) },
          );
          await store.append(`course-x-${s}`, 'course', 0, events);
        }
      }),
    );
    // As in production, the planner has statistics (autovacuum would gather them a little later).
    await fresh.owner.query('ANALYZE es.events');
    note(`loaded ${TOTAL} events in ${Date.now() - loadStarted} ms`);
    expected = ((await fresh.owner.query('SELECT global_position::text AS p FROM es.events e ORDER BY e.transaction_id, e.global_position')) as { p: string }[]).map((r) => r.p);
    expect(expected).toHaveLength(TOTAL);
  });

  afterAll(async () => {
    await stack?.stop();
    await fresh?.drop();
  });

  it('streams NDJSON: 100,000 lines, each once, in cursor order, with bounded heap growth', async () => {
    let outOfOrder = 0;
    let wrongSite = 0;
    const result = await consume(`${stack.baseUrl}/audit/export?format=ndjson`, token, (line, i) => {
      const entry = JSON.parse(line) as { position: string; siteId: string; who: { id: string } };
      if (entry.position !== expected[i]) outOfOrder++;
      if (entry.siteId !== SITE || !entry.who.id) wrongSite++;
    });
    expect(result.status).toBe(200);
    expect(result.lines).toBe(TOTAL);
    expect([outOfOrder, wrongSite]).toEqual([0, 0]);
    expect(result.bytes).toBeGreaterThan(3 * HEAP_GROWTH_LIMIT);
    expect(result.peakHeapGrowth).toBeLessThan(HEAP_GROWTH_LIMIT);
  });

  it('streams CSV: a header and 100,000 rows in the same order', async () => {
    let outOfOrder = 0;
    let header = '';
    const result = await consume(`${stack.baseUrl}/audit/export?format=csv`, token, (line, i) => {
      if (i === 0) header = line;
      else if (line.slice(0, line.indexOf(',')) !== expected[i - 1]) outOfOrder++;
    });
    expect(result.status).toBe(200);
    expect(header).toMatch(/^position,event_id,course_id/);
    expect(result.lines).toBe(TOTAL + 1);
    expect(outOfOrder).toBe(0);
    expect(result.peakHeapGrowth).toBeLessThan(HEAP_GROWTH_LIMIT);
  });

  it('pages GET /audit/events by cursor through the same order, without gaps or repeats', async () => {
    // The first 5,000 entries by cursor (10 pages of 500), then a filter that cuts across every course.
    const paged: string[] = [];
    let cursor: string | null = null;
    while (paged.length < 5_000) {
      const res: { status: number; body: { entries: { position: string }[]; nextCursor: string | null } } = await http(
        stack.baseUrl,
        'GET',
        `/audit/events?limit=500${cursor ? `&cursor=${cursor}` : ''}`,
        { token },
      );
      expect(res.status).toBe(200);
      paged.push(...res.body.entries.map((e) => e.position));
      cursor = res.body.nextCursor;
      expect(cursor).not.toBeNull();
    }
    expect(paged).toEqual(expected.slice(0, 5_000));

    const started = (await http(stack.baseUrl, 'GET', '/audit/events?eventType=CourseStarted&limit=500', { token })).body as { entries: { position: string }[] };
    const again = (await http(stack.baseUrl, 'GET', '/audit/events?eventType=CourseStarted&limit=500', { token })).body as { entries: { position: string }[] };
    expect(started.entries).toHaveLength(500);
    expect(again.entries.map((e) => e.position)).toEqual(started.entries.map((e) => e.position));
  });
});
