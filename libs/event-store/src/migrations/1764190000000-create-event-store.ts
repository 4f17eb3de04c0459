import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The append-only event store. The database, not the application, guarantees that nothing recorded is
 * changed or removed: row triggers refuse UPDATE and DELETE, a statement trigger refuses TRUNCATE
 * (row triggers never see a TRUNCATE).
 */
export class CreateEventStore1764190000000 implements MigrationInterface {
  name = 'CreateEventStore1764190000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS es`);
    await q.query(`
      CREATE TABLE es.streams (
        stream_id   text PRIMARY KEY,
        stream_type text NOT NULL,
        version     bigint NOT NULL CHECK (version >= 0),
        last_hash   text NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now(),
        updated_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE es.events (
        global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        transaction_id  xid8 NOT NULL DEFAULT pg_current_xact_id(),
        stream_id       text NOT NULL REFERENCES es.streams (stream_id),
        stream_version  bigint NOT NULL CHECK (stream_version >= 1),
        event_id        uuid NOT NULL UNIQUE,
        event_type      text NOT NULL,
        schema_version  integer NOT NULL,
        data            jsonb NOT NULL,
        metadata        jsonb NOT NULL,
        recorded_at     timestamptz NOT NULL,
        prev_hash       text NOT NULL,
        hash            text NOT NULL,
        hash_alg        text NOT NULL,
        UNIQUE (stream_id, stream_version)
      )`);
    await q.query(`CREATE INDEX events_tx_order ON es.events (transaction_id, global_position)`);
    await q.query(`CREATE INDEX events_type ON es.events (event_type, global_position)`);

    await q.query(`
      CREATE FUNCTION es.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'es.% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'ES403';
      END $$`);
    await q.query(`CREATE TRIGGER events_no_update_delete BEFORE UPDATE OR DELETE ON es.events
                   FOR EACH ROW EXECUTE FUNCTION es.refuse_change()`);
    await q.query(`CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON es.events
                   FOR EACH STATEMENT EXECUTE FUNCTION es.refuse_change()`);
    await q.query(`CREATE TRIGGER streams_no_delete BEFORE DELETE ON es.streams
                   FOR EACH ROW EXECUTE FUNCTION es.refuse_change()`);
    await q.query(`CREATE TRIGGER streams_no_truncate BEFORE TRUNCATE ON es.streams
                   FOR EACH STATEMENT EXECUTE FUNCTION es.refuse_change()`);

    // One function for every append. It compares and sets the stream's version and last hash *before*
    // the identity hands out a position (losers would otherwise burn positions and leave gaps), and a
    // retry of an append that already committed returns the stored rows instead of failing.
    await q.query(`
      CREATE FUNCTION es.append_events(
        p_stream_id text, p_stream_type text, p_expected_version bigint, p_prev_hash text,
        p_event_ids uuid[], p_types text[], p_schema_versions integer[], p_data jsonb[], p_metadata jsonb[],
        p_recorded_at timestamptz[], p_prev_hashes text[], p_hashes text[], p_hash_alg text)
      RETURNS TABLE (global_position bigint, stream_version bigint, event_id uuid, recorded_at timestamptz, hash text)
      LANGUAGE plpgsql AS $$
      DECLARE
        n integer := cardinality(p_event_ids);
        updated integer;
      BEGIN
        IF n IS NULL OR n = 0 THEN
          RAISE EXCEPTION 'append_events: no events' USING ERRCODE = 'ES400';
        END IF;
        IF EXISTS (SELECT 1 FROM es.events e WHERE e.event_id = p_event_ids[1]) THEN
          -- A retry must carry the same events; different content at a taken version is a conflict.
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
        IF p_expected_version = 0 THEN
          INSERT INTO es.streams (stream_id, stream_type, version, last_hash)
          VALUES (p_stream_id, p_stream_type, n, p_hashes[n]) ON CONFLICT DO NOTHING;
        ELSE
          UPDATE es.streams s SET version = p_expected_version + n, last_hash = p_hashes[n], updated_at = now()
          WHERE s.stream_id = p_stream_id AND s.version = p_expected_version AND s.last_hash = p_prev_hash;
        END IF;
        GET DIAGNOSTICS updated = ROW_COUNT;
        IF updated = 0 THEN
          RAISE EXCEPTION 'stream % is not at version %', p_stream_id, p_expected_version USING ERRCODE = 'ES409';
        END IF;
        RETURN QUERY
          INSERT INTO es.events AS e (stream_id, stream_version, event_id, event_type, schema_version, data, metadata,
                                      recorded_at, prev_hash, hash, hash_alg)
          SELECT p_stream_id, p_expected_version + u.ord, u.id, u.typ, u.sv, u.dat, u.meta, u.rec, u.prev, u.h, p_hash_alg
          FROM unnest(p_event_ids, p_types, p_schema_versions, p_data, p_metadata, p_recorded_at, p_prev_hashes, p_hashes)
               WITH ORDINALITY AS u (id, typ, sv, dat, meta, rec, prev, h, ord)
          ORDER BY u.ord
          RETURNING e.global_position, e.stream_version, e.event_id, e.recorded_at, e.hash;
      END $$`);
  }

  async down(): Promise<void> {
    // Deliberately irreversible: dropping the event store would destroy the audit trail.
    throw new Error('The event store migration cannot be reverted.');
  }
}
