import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { EventStore } from '../event-store';
import { eventHash, eventIdFor, GENESIS_HASH, HASH_ALGORITHM } from '../hash-chain';
import { AuditFilterColumns1764500000000 } from './1764500000000-audit-filter-columns';
import { MIGRATIONS } from './index';

/**
 * The back-fill of the audit columns, on a log written by the append function as it was before them:
 * every existing event gets its site, patient, actor, role, clinical time and late entry; nothing that
 * is hashed changes; the table is append-only again afterwards.
 */
describe('migration AuditFilterColumns: back-fill of existing events', () => {
  const base = process.env['DATABASE_URL']!;
  const name = `care_t_mig_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  let url: string;
  const sources: DataSource[] = [];
  const open = async (migrations: (typeof MIGRATIONS)[number][]): Promise<DataSource> => {
    const ds = await new DataSource({ type: 'postgres', url, migrations, migrationsTableName: 'schema_migrations', migrationsTransactionMode: 'each', logging: false }).initialize();
    sources.push(ds);
    return ds;
  };

  beforeAll(async () => {
    const admin = new Client({ connectionString: base });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const u = new URL(base);
    u.pathname = `/${name}`;
    url = u.toString();
  });

  afterAll(async () => {
    for (const ds of sources) if (ds.isInitialized) await ds.destroy();
    const admin = new Client({ connectionString: base });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });

  /** An append through the function of the earlier migrations (13 arguments, no audit columns). */
  const appendBefore = async (db: DataSource, streamId: string, events: { type: string; data: Record<string, unknown>; metadata: Record<string, unknown> }[]) => {
    let prev = GENESIS_HASH;
    const rows = events.map((e, i) => {
      const id = eventIdFor(streamId, i + 1);
      const hash = eventHash({ streamId, streamVersion: i + 1, eventId: id, eventType: e.type, schemaVersion: 1, data: e.data, metadata: e.metadata, prevHash: prev });
      const row = { id, prev, hash };
      prev = hash;
      return row;
    });
    await db.query(
      `SELECT * FROM es.append_events($1, 'course', 0, $2, $3::uuid[], $4::text[], $5::integer[], $6::jsonb[], $7::jsonb[], $8::timestamptz[], $9::text[], $10::text[], $11)`,
      [
        streamId,
        GENESIS_HASH,
        rows.map((r) => r.id),
        events.map((e) => e.type),
        events.map(() => 1),
        events.map((e) => JSON.stringify(e.data)),
        events.map((e) => JSON.stringify(e.metadata)),
        events.map(() => '2026-03-01T10:00:00.000Z'),
        rows.map((r) => r.prev),
        rows.map((r) => r.hash),
        HASH_ALGORITHM,
      ],
    );
  };

  it('fills every column from the content, leaves the hashes alone, and keeps the table append-only', async () => {
    const before = MIGRATIONS.slice(0, MIGRATIONS.indexOf(AuditFilterColumns1764500000000));
    const old = await open(before);
    await old.runMigrations({ transaction: 'each' });
    const actor = { id: 'u-7', name: 'Theo Therapist', role: 'therapist', siteId: 'site-b' };
    await appendBefore(old, 'course-c1', [
      { type: 'CourseStarted', data: { courseId: 'c1', patientRef: 'P-1', siteId: 'site-b', protocolId: 'mdma-at-ptsd' }, metadata: { actor, occurredAt: '2026-03-01T09:00:00.000Z' } },
      { type: 'DoseAdministered', data: { performedAt: '2026-03-01T08:30:00.000Z', doseMg: 80 }, metadata: { actor, occurredAt: '2026-03-01T09:05:00.000Z' } },
      { type: 'VitalsRecorded', data: { measuredAt: '2026-03-01T06:00:00.000Z', lateEntryReason: 'Paper form typed in later' }, metadata: { actor, occurredAt: '2026-03-01T09:10:00.000Z' } },
      { type: 'SessionNoteRecorded', data: { note: 'calm' }, metadata: { actor, occurredAt: '2026-03-01T09:15:00.000Z' } },
    ]);
    await appendBefore(old, 'other-1', [{ type: 'Something', data: { siteId: 7 }, metadata: {} }]);
    const hashesBefore = (await old.query(`SELECT global_position, hash, data, metadata FROM es.events ORDER BY global_position`)) as unknown[];
    await old.destroy();

    const db = await open(MIGRATIONS);
    expect((await db.runMigrations({ transaction: 'each' })).map((m) => m.name)).toContain('AuditFilterColumns1764500000000');
    const rows = (await db.query(
      `SELECT stream_id, stream_version::int AS v, site_id, patient_ref, actor_id, actor_role, clinical_time, late_entry FROM es.events ORDER BY global_position`,
    )) as Record<string, unknown>[];
    expect(rows).toEqual([
      { stream_id: 'course-c1', v: 1, site_id: 'site-b', patient_ref: 'P-1', actor_id: 'u-7', actor_role: 'therapist', clinical_time: '2026-03-01T09:00:00.000Z', late_entry: null },
      { stream_id: 'course-c1', v: 2, site_id: 'site-b', patient_ref: 'P-1', actor_id: 'u-7', actor_role: 'therapist', clinical_time: '2026-03-01T08:30:00.000Z', late_entry: null },
      {
        stream_id: 'course-c1', v: 3, site_id: 'site-b', patient_ref: 'P-1', actor_id: 'u-7', actor_role: 'therapist', clinical_time: '2026-03-01T06:00:00.000Z',
        late_entry: { reason: 'Paper form typed in later', minutesAfter: 190 },
      },
      { stream_id: 'course-c1', v: 4, site_id: 'site-b', patient_ref: 'P-1', actor_id: 'u-7', actor_role: 'therapist', clinical_time: null, late_entry: null },
      // A site that is not a JSON string is no site (as the TypeScript rule reads it).
      { stream_id: 'other-1', v: 1, site_id: null, patient_ref: null, actor_id: null, actor_role: null, clinical_time: null, late_entry: null },
    ]);
    expect(await db.query(`SELECT global_position, hash, data, metadata FROM es.events ORDER BY global_position`)).toEqual(hashesBefore);
    await expect(db.query(`UPDATE es.events SET site_id = 'site-x' WHERE stream_id = 'course-c1'`)).rejects.toThrow(/append-only/);

    // The next append through the new function carries the stream's site and patient.
    const store = new EventStore(db, () => new Date('2026-03-02T10:00:00.000Z'));
    await store.append('course-c1', 'course', 4, [{ type: 'AssessmentRecorded', schemaVersion: 1, data: { performedAt: '2026-03-02T09:00:00.000Z' }, metadata: { actor } }]);
    const [next] = (await db.query(`SELECT site_id, patient_ref, clinical_time FROM es.events WHERE stream_id = 'course-c1' AND stream_version = 5`)) as Record<string, unknown>[];
    expect(next).toEqual({ site_id: 'site-b', patient_ref: 'P-1', clinical_time: '2026-03-02T09:00:00.000Z' });
  });
});
