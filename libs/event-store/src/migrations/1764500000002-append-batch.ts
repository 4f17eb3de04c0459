import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `es.append_batch`: several appends (of different writers, usually different streams) in one
 * statement and one commit, so concurrent writers share a commit (and its fsync) instead of paying
 * one each. Each append is `es.append_events` in a subtransaction of its own: one that conflicts or
 * fails is reported in its result row and undone alone; the others commit. Appends run in stream
 * order, so two batches lock streams in the same order and never deadlock each other.
 */
export class AppendBatch1764500000002 implements MigrationInterface {
  name = 'AppendBatch1764500000002';

  async up(q: QueryRunner): Promise<void> {
    // The same append, with the idempotency check moved behind the compare-and-set: a stream at the
    // expected version cannot hold these events yet (their ids are those of the next versions), so
    // only an append whose compare-and-set fails looks for them. One query less per append.
    await q.query(`
      CREATE OR REPLACE FUNCTION es.append_events(
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
                  CASE WHEN jsonb_typeof(p_data[1] -> 'siteId') = 'string' THEN p_data[1] ->> 'siteId' END,
                  CASE WHEN jsonb_typeof(p_data[1] -> 'patientRef') = 'string' THEN p_data[1] ->> 'patientRef' END)
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
    await q.query(`
      CREATE FUNCTION es.append_batch(
        p_stream_ids text[], p_stream_types text[], p_expected_versions bigint[], p_prev_hashes_head text[], p_counts integer[],
        p_event_ids uuid[], p_types text[], p_schema_versions integer[], p_data jsonb[], p_metadata jsonb[],
        p_recorded_at timestamptz[], p_prev_hashes text[], p_hashes text[], p_hash_alg text,
        p_clinical_times text[], p_late_entries jsonb[])
      RETURNS TABLE (append_index integer, error_code text, error_message text,
                     global_position bigint, stream_version bigint, event_id uuid, recorded_at timestamptz, hash text)
      LANGUAGE plpgsql AS $$
      DECLARE
        k integer;
        lo integer := 1;
        hi integer;
        starts integer[] := '{}';
      BEGIN
        IF cardinality(p_counts) IS DISTINCT FROM cardinality(p_stream_ids)
           OR (SELECT sum(c) FROM unnest(p_counts) c) IS DISTINCT FROM cardinality(p_event_ids)::bigint THEN
          RAISE EXCEPTION 'append_batch: counts do not match the events' USING ERRCODE = 'ES400';
        END IF;
        FOR k IN 1 .. cardinality(p_stream_ids) LOOP
          starts := starts || lo;
          lo := lo + p_counts[k];
        END LOOP;
        FOR k IN SELECT i FROM generate_subscripts(p_stream_ids, 1) AS i ORDER BY p_stream_ids[i], i LOOP
          lo := starts[k];
          hi := lo + p_counts[k] - 1;
          BEGIN
            -- append_events hands back its rows only once it has succeeded, so a failed one adds none.
            RETURN QUERY SELECT k, NULL::text, NULL::text, r.global_position, r.stream_version, r.event_id, r.recorded_at, r.hash
              FROM es.append_events(p_stream_ids[k], p_stream_types[k], p_expected_versions[k], p_prev_hashes_head[k],
                                    p_event_ids[lo:hi], p_types[lo:hi], p_schema_versions[lo:hi], p_data[lo:hi], p_metadata[lo:hi],
                                    p_recorded_at[lo:hi], p_prev_hashes[lo:hi], p_hashes[lo:hi], p_hash_alg,
                                    p_clinical_times[lo:hi], p_late_entries[lo:hi]) AS r;
          EXCEPTION WHEN OTHERS THEN
            RETURN QUERY SELECT k, SQLSTATE::text, SQLERRM::text, NULL::bigint, NULL::bigint, NULL::uuid, NULL::timestamptz, NULL::text;
          END;
        END LOOP;
      END $$`);
    await q.query(`REVOKE ALL ON FUNCTION es.append_batch FROM PUBLIC`);
    await q.query(`GRANT EXECUTE ON FUNCTION es.append_batch TO care_app`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION es.append_batch`);
  }
}
