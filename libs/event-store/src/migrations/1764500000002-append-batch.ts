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
