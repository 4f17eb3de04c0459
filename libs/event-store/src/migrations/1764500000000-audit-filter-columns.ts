import type { MigrationInterface, QueryRunner } from 'typeorm';
import { auditColumnsOf } from '../audit-columns/audit-columns';

/** A course's site, patient reference: only a JSON string counts (as in the TypeScript rule). */
const FIRST_EVENT_TEXT = (field: string, of: string): string => `CASE WHEN jsonb_typeof(${of} -> '${field}') = 'string' THEN ${of} ->> '${field}' END`;
const BACKFILL_BATCH = 10_000;

/**
 * Stores with every event the columns the auditors' filters and the export need (site, patient
 * reference, actor, role, clinical time, late entry), so each filter is an index range in the stable
 * (transaction id, position) order instead of a walk of the log through each course's first event.
 *
 * The columns are derived, never hashed: the hash chain is unchanged and the verifier recomputes them.
 * Back-filling existing rows needs an UPDATE, which the append-only trigger refuses: it is switched off
 * for this one transaction only, which holds an exclusive lock on the table until it commits, so no
 * other session can write (or see the trigger off) meanwhile.
 */
export class AuditFilterColumns1764500000000 implements MigrationInterface {
  name = 'AuditFilterColumns1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE es.streams ADD COLUMN site_id text, ADD COLUMN patient_ref text`);
    await q.query(`
      UPDATE es.streams s SET site_id = ${FIRST_EVENT_TEXT('siteId', 'e.data')}, patient_ref = ${FIRST_EVENT_TEXT('patientRef', 'e.data')}
        FROM es.events e WHERE e.stream_id = s.stream_id AND e.stream_version = 1`);
    await q.query(`
      ALTER TABLE es.events
        ADD COLUMN site_id text,
        ADD COLUMN patient_ref text,
        ADD COLUMN actor_id text GENERATED ALWAYS AS (metadata #>> '{actor,id}') STORED,
        ADD COLUMN actor_role text GENERATED ALWAYS AS (metadata #>> '{actor,role}') STORED,
        ADD COLUMN clinical_time text,
        ADD COLUMN late_entry jsonb`);

    await q.query(`ALTER TABLE es.events DISABLE TRIGGER events_no_update_delete`);
    await q.query(`
      UPDATE es.events e SET site_id = s.site_id, patient_ref = s.patient_ref
        FROM es.streams s WHERE s.stream_id = e.stream_id AND (s.site_id IS NOT NULL OR s.patient_ref IS NOT NULL)`);
    // The clinical time is the protocol's rule (libs/protocol), so it is computed here, in batches.
    for (let after = '0'; ; ) {
      const rows = (await q.query(
        `SELECT global_position::text AS position, event_type, data, metadata FROM es.events WHERE global_position > $1 ORDER BY global_position LIMIT $2`,
        [after, BACKFILL_BATCH],
      )) as { position: string; event_type: string; data: Record<string, unknown>; metadata: Record<string, unknown> }[];
      if (rows.length === 0) break;
      const timed = rows
        .map((r) => ({ position: r.position, ...auditColumnsOf(r.event_type, r.data, r.metadata) }))
        .filter((r) => r.clinicalTime !== null || r.lateEntry !== null);
      if (timed.length > 0) {
        await q.query(
          `UPDATE es.events e SET clinical_time = u.clinical_time, late_entry = u.late_entry
             FROM unnest($1::bigint[], $2::text[], $3::jsonb[]) AS u (position, clinical_time, late_entry) WHERE e.global_position = u.position`,
          [timed.map((r) => r.position), timed.map((r) => r.clinicalTime), timed.map((r) => (r.lateEntry ? JSON.stringify(r.lateEntry) : null))],
        );
      }
      after = rows[rows.length - 1]!.position;
    }
    await q.query(`ALTER TABLE es.events ENABLE TRIGGER events_no_update_delete`);

    // Every filter leads with the site (every query names its sites); the rest of each key is the
    // stable order, so a page is an index range read from its cursor on.
    await q.query(`CREATE INDEX events_site_order ON es.events (site_id, transaction_id, global_position)`);
    await q.query(`CREATE INDEX events_site_patient ON es.events (site_id, patient_ref, transaction_id, global_position)`);
    await q.query(`CREATE INDEX events_site_actor ON es.events (site_id, actor_id, transaction_id, global_position)`);
    await q.query(`CREATE INDEX events_site_role ON es.events (site_id, actor_role, transaction_id, global_position)`);
    await q.query(`CREATE INDEX events_site_type ON es.events (site_id, event_type, transaction_id, global_position)`);
    await q.query(`CREATE INDEX events_site_recorded_at ON es.events (site_id, recorded_at)`);
    // An entry of a correction shows the value before it: the previous correction of the same event.
    await q.query(`CREATE INDEX events_corrections ON es.events (stream_id, (data ->> 'eventVersion'), stream_version) WHERE event_type = 'EventCorrected'`);
    // Replaced by the indexes above.
    await q.query(`DROP INDEX es.events_course_patient`);
    await q.query(`DROP INDEX es.events_actor`);
    await q.query(`DROP INDEX es.events_recorded_at`);

    // The append function fills the new columns: site and patient from the stream (set by its first
    // event), clinical time and late entry from the writer (the protocol's rule, in TypeScript).
    await q.query(`DROP FUNCTION es.append_events(text, text, bigint, text, uuid[], text[], integer[], jsonb[], jsonb[], timestamptz[], text[], text[], text)`);
    // The idempotency check comes after the compare-and-set: a stream at the expected version cannot
    // hold these events yet (their ids are those of the next versions), so only an append whose
    // compare-and-set fails looks for them. One query less per append.
    await q.query(`
      CREATE FUNCTION es.append_events(
        p_stream_id text, p_stream_type text, p_expected_version bigint, p_prev_hash text,
        p_event_ids uuid[], p_types text[], p_schema_versions integer[], p_data jsonb[], p_metadata jsonb[],
        p_recorded_at timestamptz[], p_prev_hashes text[], p_hashes text[], p_hash_alg text,
        p_clinical_times text[], p_late_entries jsonb[])
      RETURNS TABLE (global_position bigint, stream_version bigint, event_id uuid, recorded_at timestamptz, hash text)
      LANGUAGE plpgsql AS $$
      DECLARE
        n integer := cardinality(p_event_ids);
        updated integer;
        v_site text;
        v_patient text;
      BEGIN
        IF n IS NULL OR n = 0 THEN
          RAISE EXCEPTION 'append_events: no events' USING ERRCODE = 'ES400';
        END IF;
        IF p_expected_version = 0 THEN
          INSERT INTO es.streams (stream_id, stream_type, version, last_hash, site_id, patient_ref)
          VALUES (p_stream_id, p_stream_type, n, p_hashes[n],
                  ${FIRST_EVENT_TEXT('siteId', 'p_data[1]')}, ${FIRST_EVENT_TEXT('patientRef', 'p_data[1]')})
          ON CONFLICT DO NOTHING
          RETURNING site_id, patient_ref INTO v_site, v_patient;
        ELSE
          UPDATE es.streams s SET version = p_expected_version + n, last_hash = p_hashes[n], updated_at = now()
          WHERE s.stream_id = p_stream_id AND s.version = p_expected_version AND s.last_hash = p_prev_hash
          RETURNING s.site_id, s.patient_ref INTO v_site, v_patient;
        END IF;
        GET DIAGNOSTICS updated = ROW_COUNT;
        IF updated = 0 THEN
          -- A retry of an append that committed finds its events, and gets the stored rows back; it
          -- must carry the same events (different content at a taken version is a conflict).
          IF EXISTS (SELECT 1 FROM es.events e WHERE e.event_id = p_event_ids[1]) THEN
            IF (SELECT count(*) FROM es.events e
                  JOIN unnest(p_event_ids, p_types, p_data) AS u (id, typ, dat) ON e.event_id = u.id
                 WHERE e.stream_id = p_stream_id AND e.event_type = u.typ AND e.data = u.dat) <> n THEN
              RAISE EXCEPTION 'stream % already holds other events after version %', p_stream_id, p_expected_version
                USING ERRCODE = 'ES409';
            END IF;
            RETURN QUERY SELECT e.global_position, e.stream_version, e.event_id, e.recorded_at, e.hash
              FROM es.events e WHERE e.event_id = ANY (p_event_ids) ORDER BY e.stream_version;
            RETURN;
          END IF;
          RAISE EXCEPTION 'stream % is not at version %', p_stream_id, p_expected_version USING ERRCODE = 'ES409';
        END IF;
        RETURN QUERY
          INSERT INTO es.events AS e (stream_id, stream_version, event_id, event_type, schema_version, data, metadata,
                                      recorded_at, prev_hash, hash, hash_alg, site_id, patient_ref, clinical_time, late_entry)
          SELECT p_stream_id, p_expected_version + u.ord, u.id, u.typ, u.sv, u.dat, u.meta, u.rec, u.prev, u.h, p_hash_alg,
                 v_site, v_patient, u.ct, u.le
          FROM unnest(p_event_ids, p_types, p_schema_versions, p_data, p_metadata, p_recorded_at, p_prev_hashes, p_hashes,
                      p_clinical_times, p_late_entries)
               WITH ORDINALITY AS u (id, typ, sv, dat, meta, rec, prev, h, ct, le, ord)
          ORDER BY u.ord
          RETURNING e.global_position, e.stream_version, e.event_id, e.recorded_at, e.hash;
      END $$`);
    await q.query(`REVOKE ALL ON FUNCTION es.append_events FROM PUBLIC`);
    await q.query(`GRANT EXECUTE ON FUNCTION es.append_events TO care_app`);
  }

  async down(): Promise<void> {
    throw new Error('The audit filter columns migration cannot be reverted (the append function depends on them).');
  }
}
