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
