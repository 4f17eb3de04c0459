import type { DataSource } from 'typeorm';
import { EventStore, type NewEvent } from '../event-store';
import { freshDatabase } from '../testing/fresh-database';
import { PROJECTIONS, projectionStatus, rebuildProjection, runProjection } from '.';

const actor = { id: 'u-1', name: 'Casey Coordinator', role: 'coordinator', siteId: 'site-a' };
const meta = { actor, occurredAt: '2026-01-05T08:00:00.000Z', correlationId: 'c' };
const started = (n: number): NewEvent => ({
  type: 'CourseStarted',
  schemaVersion: 1,
  data: { courseId: `c${n}`, patientRef: `P-${n}`, siteId: n % 2 ? 'site-a' : 'site-b', protocolId: 'mdma-at-ptsd', protocolVersion: 1 },
  metadata: meta,
});
// A type no build knows yet: projections must carry on, not stop.
const other = (i: number): NewEvent => ({ type: 'SomethingNewer', schemaVersion: 1, data: { i, reason: 'because' }, metadata: meta });

const runAll = (db: DataSource) => Promise.all(PROJECTIONS.map((p) => runProjection(db, p, { batchSize: 7 })));
/**
 * Runs the projections until they hold every committed event (bounded): the horizon is the whole
 * cluster's, and another suite's transaction (a migration of its own database) may hold it a moment.
 */
const runUntilCaughtUp = async (db: DataSource) => {
  for (const end = Date.now() + 30_000; ; await new Promise((r) => setTimeout(r, 50))) {
    await runAll(db);
    const status = await projectionStatus(db, PROJECTIONS);
    if (status.every((s) => s.eventsBehind === 0) || Date.now() > end) return;
  }
};

describe('projections under concurrent writers', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let store: EventStore;
  beforeAll(async () => {
    db = await freshDatabase();
    store = new EventStore(db.owner);
  });
  afterAll(async () => db?.drop());

  const counts = async () =>
    (await db.owner.query(`SELECT (SELECT count(*)::int FROM es.events) AS events, (SELECT count(*)::int FROM projections.patient_timeline) AS timeline,
                                  (SELECT count(*)::int FROM projections.course_summary) AS courses,
                                  (SELECT COALESCE(sum(version), 0)::int FROM projections.course_summary) AS versions`))[0] as {
      events: number; timeline: number; courses: number; versions: number;
    };

  it('misses nothing when a transaction commits after a later position was already read', async () => {
    await store.append('course-held', 'course', 0, [started(1)]);
    // T1 takes a position and stays open; T2 takes a higher one and commits first.
    const t1 = db.owner.createQueryRunner();
    await t1.connect();
    await t1.startTransaction();
    await new EventStore(t1 as unknown as DataSource).append('course-held', 'course', 1, [other(1)]);
    try {
      await store.append('course-late', 'course', 0, [started(3)]);
      // The horizon is the whole cluster's: another suite's transaction (a migration of its own
      // database) may hold it before course-held's first event for a moment.
      let before: { stream_id: string }[] = [];
      for (const end = Date.now() + 30_000; before.length === 0 && Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
        await runAll(db.owner);
        before = (await db.owner.query(`SELECT stream_id FROM projections.patient_timeline ORDER BY global_position`)) as { stream_id: string }[];
      }
      // The runner stops before T2's event: reading it now would move the checkpoint past T1's.
      expect(before.map((r) => r.stream_id)).toEqual(['course-held']);
      await t1.commitTransaction();
    } finally {
      // An open T1 would hold every later test's horizon.
      if (t1.isTransactionActive) await t1.rollbackTransaction();
      await t1.release();
    }
    await runUntilCaughtUp(db.owner);
    const c = await counts();
    expect(c.timeline).toBe(c.events);
    expect((await projectionStatus(db.owner, PROJECTIONS)).map((s) => s.eventsBehind)).toEqual([0, 0]);
  });

  it('projects 40 streams written in parallel while the runners poll, with no gaps', async () => {
    let writing = true;
    const poller = (async () => {
      while (writing) await runAll(db.owner);
    })();
    await Promise.all(
      Array.from({ length: 40 }, async (_, s) => {
        const id = `course-p${s}`;
        await store.append(id, 'course', 0, [started(s)]);
        for (let v = 1; v < 8; v += 2) await store.append(id, 'course', v, [other(v), other(v + 1)]);
      }),
    );
    writing = false;
    await poller;
    await runUntilCaughtUp(db.owner);
    const c = await counts();
    expect(c.timeline).toBe(c.events);
    expect(c.versions).toBe(c.events);
    const perStream = (await db.owner.query(
      `SELECT stream_id, array_agg(stream_version ORDER BY stream_version)::int[] AS v FROM projections.patient_timeline WHERE stream_id LIKE 'course-p%' GROUP BY stream_id`,
    )) as { stream_id: string; v: number[] }[];
    expect(perStream).toHaveLength(40);
    for (const s of perStream) expect(s.v).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const summary = (await db.owner.query(`SELECT site_id, patient_ref, status, version::int FROM projections.course_summary WHERE stream_id = 'course-p3'`)) as unknown[];
    expect(summary).toEqual([{ site_id: 'site-a', patient_ref: 'P-3', status: 'active', version: 9 }]);
  });

  it('rebuilds to the same read model', async () => {
    const snapshot = async () => db.owner.query(`SELECT stream_id, status, version, next_due_at FROM projections.course_summary ORDER BY stream_id`);
    const before = await snapshot();
    const progress: number[] = [];
    for (const p of PROJECTIONS) await rebuildProjection(db.owner, p, { batchSize: 50, onBatch: (n) => progress.push(n) });
    expect(await snapshot()).toEqual(before);
    expect(progress.length).toBeGreaterThan(1);
    const c = await counts();
    expect(c.timeline).toBe(c.events);
  });
});
