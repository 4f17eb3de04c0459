import { EventStore, StreamVersionConflictError } from './event-store';
import { freshDatabase } from './testing/fresh-database';
import { verifyStream } from './verify-stream';

const meta = { actor: { id: 'u-1', name: 'Casey', role: 'coordinator', siteId: 'site-a' }, occurredAt: '2026-01-01T00:00:00Z', correlationId: 'c' };

describe('parallel appends to one stream', () => {
  it('lets exactly one of eight writers win each version; every loser gets a conflict', async () => {
    const db = await freshDatabase();
    try {
      const writers = Array.from({ length: 8 }, () => new EventStore(db.owner));
      for (let version = 0; version < 15; version++) {
        const results = await Promise.allSettled(
          writers.map((w, i) => w.append('course-race', 'course', version, [{ type: 'Something', schemaVersion: 1, data: { version, writer: i }, metadata: meta }])),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(StreamVersionConflictError);
      }
      const stored = await new EventStore(db.owner).readStream('course-race');
      expect(stored.map((e) => e.streamVersion)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
      expect(verifyStream(stored).ok).toBe(true);
      // Losers never took a position: the global positions have no holes.
      const positions = stored.map((e) => Number(e.globalPosition));
      expect(positions[positions.length - 1]! - positions[0]!).toBe(14);
    } finally {
      await db.drop();
    }
  });
});

describe('concurrent appends through one store (group commit)', () => {
  it('shares commits, and a conflicting or repeated append affects only itself', async () => {
    const db = await freshDatabase();
    try {
      const store = new EventStore(db.owner);
      const event = (n: number) => ({ type: 'Something', schemaVersion: 1, data: { n }, metadata: meta });
      await store.append('course-behind', 'course', 0, [event(0)]);
      const results = await Promise.allSettled([
        ...Array.from({ length: 30 }, (_, i) => store.append(`course-g${i}`, 'course', 0, [event(i), event(i + 100)])),
        // Not at version 5: refused alone.
        store.append('course-behind', 'course', 5, [event(-1)]),
        // The same append twice (a retry racing its original): both answer with the one stored row.
        store.append('course-twice', 'course', 0, [event(7)]),
        store.append('course-twice', 'course', 0, [event(7)]),
      ]);
      expect(results.slice(0, 30).every((r) => r.status === 'fulfilled')).toBe(true);
      expect(results[30]).toMatchObject({ status: 'rejected', reason: expect.any(StreamVersionConflictError) });
      const [a, b] = results.slice(31) as PromiseFulfilledResult<{ eventId: string; globalPosition: string }[]>[];
      expect(a!.status).toBe('fulfilled');
      expect(b!.value).toEqual(a!.value);

      const [{ streams, transactions, events }] = (await db.owner.query(
        `SELECT count(DISTINCT stream_id)::int AS streams, count(DISTINCT transaction_id)::int AS transactions, count(*)::int AS events
           FROM es.events WHERE stream_id LIKE 'course-g%' OR stream_id = 'course-twice'`,
      )) as [{ streams: number; transactions: number; events: number }];
      expect({ streams, events }).toEqual({ streams: 31, events: 61 });
      // 32 appends arrived together: the first went alone, the rest shared a commit.
      expect(transactions).toBeLessThanOrEqual(3);
      expect(await store.readStream('course-behind')).toHaveLength(1);
      for (let i = 0; i < 30; i++) expect(verifyStream(await store.readStream(`course-g${i}`)).ok).toBe(true);
    } finally {
      await db.drop();
    }
  });
});
