import type { DataSource } from 'typeorm';
import { createDataSource, runMigrations } from './data-source';
import { EventStore, StreamVersionConflictError } from './event-store';
import { verifyStream } from './verify-stream';

const meta = { actor: { id: 'u-1', name: 'Casey', role: 'coordinator', siteId: 'site-a' }, occurredAt: '2026-01-01T00:00:00Z', correlationId: 'c' };
const event = (n: number) => ({ type: 'Something', schemaVersion: 1, data: { n, note: 'x' }, metadata: meta });

describe('EventStore on PostgreSQL', () => {
  let db: DataSource;
  let store: EventStore;
  const stream = () => `test-${Math.random().toString(36).slice(2)}`;

  beforeAll(async () => {
    db = await createDataSource(process.env['DATABASE_URL']!, 10).initialize();
    await runMigrations(db);
    store = new EventStore(db);
  });
  afterAll(async () => db?.destroy());

  it('appends with consecutive versions and a verifiable hash chain', async () => {
    const id = stream();
    await store.append(id, 'test', 0, [event(1), event(2)]);
    await store.append(id, 'test', 2, [event(3)]);
    const events = await store.readStream(id);
    expect(events.map((e) => e.streamVersion)).toEqual([1, 2, 3]);
    expect(events[1]!.prevHash).toBe(events[0]!.hash);
    expect(verifyStream(events)).toEqual({ ok: true, checked: 3 });
  });

  it('returns the stored rows when an append is retried, writing nothing twice', async () => {
    const id = stream();
    const first = await store.append(id, 'test', 0, [event(1)]);
    const retry = await store.append(id, 'test', 0, [event(1)]);
    expect(retry).toEqual(first);
    expect(await store.readStream(id)).toHaveLength(1);
  });

  it('lets exactly one of two concurrent writers win a version', async () => {
    const id = stream();
    await store.append(id, 'test', 0, [event(1)]);
    // Different content for the same version from two writers at once: one is stored, the other refused.
    const results = await Promise.allSettled([store.append(id, 'test', 1, [event(2)]), new EventStore(db).append(id, 'test', 1, [event(3)])]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const loser = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(loser.reason).toBeInstanceOf(StreamVersionConflictError);
    const stored = await store.readStream(id);
    expect(stored.map((e) => e.streamVersion)).toEqual([1, 2]);
    expect(verifyStream(stored).ok).toBe(true);
  });

  it('refuses a stale expected version', async () => {
    const id = stream();
    await store.append(id, 'test', 0, [event(1), event(2)]);
    await expect(store.append(id, 'test', 5, [event(9)])).rejects.toBeInstanceOf(StreamVersionConflictError);
    // Version 1 is taken by other content: not a retry, a conflict.
    await expect(store.append(id, 'test', 0, [event(9)])).rejects.toBeInstanceOf(StreamVersionConflictError);
    expect(await store.readStream(id)).toHaveLength(2);
  });

  it('refuses UPDATE, DELETE and TRUNCATE in the database itself', async () => {
    const id = stream();
    await store.append(id, 'test', 0, [event(1)]);
    await expect(db.query(`UPDATE es.events SET data = '{}' WHERE stream_id = $1`, [id])).rejects.toThrow(/append-only/);
    await expect(db.query(`DELETE FROM es.events WHERE stream_id = $1`, [id])).rejects.toThrow(/append-only/);
    await expect(db.query(`TRUNCATE es.events CASCADE`)).rejects.toThrow(/append-only/);
    expect(await store.readStream(id)).toHaveLength(1);
  });

  it('detects a changed row when the chain is verified', async () => {
    const id = stream();
    await store.append(id, 'test', 0, [event(1), event(2), event(3)]);
    const events = await store.readStream(id);
    events[1] = { ...events[1]!, data: { n: 2, note: 'tampered' } };
    expect(verifyStream(events)).toMatchObject({ ok: false, firstBadVersion: 2, reason: 'content changed' });
  });
});
