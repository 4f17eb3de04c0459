import type { DataSource } from 'typeorm';
import { AccessLog } from './access-log/access-log';
import { APP_DATABASE_ROLE } from './data-source';
import { EventStore } from './event-store';
import { freshDatabase } from './testing/fresh-database';

const meta = { actor: { id: 'u-1', name: 'Casey', role: 'coordinator', siteId: 'site-a' }, occurredAt: '2026-01-01T00:00:00Z', correlationId: 'c' };

/** The runtime connection (as the service opens it) may only do what the application needs. */
describe('restricted database role of the service', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let app: DataSource;

  beforeAll(async () => {
    db = await freshDatabase();
    app = await db.connect({ role: APP_DATABASE_ROLE });
  });
  afterAll(async () => db?.drop());

  const denied = /permission denied|must be owner|must be superuser/;

  it('runs as care_app on every pooled connection', async () => {
    const rows = (await Promise.all([1, 2, 3].map(() => app.query('SELECT current_user AS u')))) as { u: string }[][];
    expect(rows.map((r) => r[0]!.u)).toEqual(['care_app', 'care_app', 'care_app']);
  });

  it('appends, reads and logs accesses', async () => {
    const store = new EventStore(app);
    await store.append('course-r1', 'course', 0, [{ type: 'Something', schemaVersion: 1, data: { n: 1 }, metadata: meta }]);
    await store.append('course-r1', 'course', 1, [{ type: 'Something', schemaVersion: 1, data: { n: 2 }, metadata: meta }]);
    expect(await store.readStream('course-r1')).toHaveLength(2);
    await new AccessLog(app).record({ actor: meta.actor, action: 'read', resource: 'course', courseId: 'r1', outcome: 'ok' });
  });

  it('cannot UPDATE, DELETE or TRUNCATE events, even with the triggers out of the way', async () => {
    await expect(app.query(`UPDATE es.events SET data = '{}'`)).rejects.toThrow(denied);
    await expect(app.query(`DELETE FROM es.events`)).rejects.toThrow(denied);
    await expect(app.query(`TRUNCATE es.events`)).rejects.toThrow(denied);
    await expect(app.query(`ALTER TABLE es.events DISABLE TRIGGER events_no_update_delete`)).rejects.toThrow(denied);
    await expect(app.query(`SET session_replication_role = replica`)).rejects.toThrow(denied);
  });

  it('cannot write outside its grants', async () => {
    await expect(app.query(`UPDATE es.streams SET stream_type = 'x'`)).rejects.toThrow(denied);
    await expect(app.query(`DELETE FROM es.streams`)).rejects.toThrow(denied);
    await expect(app.query(`DELETE FROM audit.access_log`)).rejects.toThrow(denied);
    await expect(app.query(`UPDATE audit.checkpoints SET key_id = 'x'`)).rejects.toThrow(denied);
    await expect(app.query(`DELETE FROM api.idempotency_keys`)).rejects.toThrow(denied);
    await expect(app.query(`INSERT INTO schema_migrations (timestamp, name) VALUES (1, 'x')`)).rejects.toThrow(denied);
    await expect(app.query(`CREATE TABLE es.sneaky (x int)`)).rejects.toThrow(denied);
    await expect(app.query(`CREATE TABLE public.sneaky (x int)`)).rejects.toThrow(denied);
    await expect(app.query(`ALTER ROLE care_app SUPERUSER`)).rejects.toThrow(denied);
  });
});
