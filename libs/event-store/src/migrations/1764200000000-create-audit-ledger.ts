import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The read-access log and the global ledger. Both are append-only like `es.events`: row triggers refuse
 * UPDATE and DELETE, a statement trigger refuses TRUNCATE. `transaction_id` lets the integrator read
 * in xmin-safe order (a row that commits late with a lower position is never skipped).
 */
export class CreateAuditLedger1764200000000 implements MigrationInterface {
  name = 'CreateAuditLedger1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS audit`);
    await q.query(`
      CREATE FUNCTION audit.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit.% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'ES403';
      END $$`);

    // Who read which course's clinical data, when, through which route. Millisecond timestamps, so the
    // value a client sees (JSON) is exactly the value the ledger hashed.
    await q.query(`
      CREATE TABLE audit.access_log (
        access_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
        accessed_at    timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
        actor_id       text NOT NULL,
        actor_name     text NOT NULL,
        actor_role     text NOT NULL,
        actor_site     text NOT NULL,
        action         text NOT NULL,
        resource       text NOT NULL,
        course_id      text,
        query          jsonb NOT NULL DEFAULT '{}'::jsonb,
        outcome        text NOT NULL,
        correlation_id text
      )`);
    await q.query(`CREATE INDEX access_log_tx_order ON audit.access_log (transaction_id, access_id)`);
    await q.query(`CREATE INDEX access_log_course ON audit.access_log (course_id, access_id)`);
    await q.query(`CREATE INDEX access_log_actor ON audit.access_log (actor_id, access_id)`);

    // One row per ledger entry, leaf_index 0.. in the order the integrator appended them.
    await q.query(`
      CREATE TABLE audit.ledger_leaves (
        leaf_index            bigint PRIMARY KEY CHECK (leaf_index >= 0),
        source                text NOT NULL CHECK (source IN ('event', 'access')),
        source_position       bigint NOT NULL,
        source_transaction_id xid8 NOT NULL,
        leaf_hash             text NOT NULL,
        integrated_at         timestamptz NOT NULL DEFAULT now(),
        UNIQUE (source, source_position)
      )`);
    await q.query(`CREATE INDEX ledger_leaves_source ON audit.ledger_leaves (source, leaf_index)`);

    // Signed tree heads. A checkpoint is never changed; a later one extends it.
    await q.query(`
      CREATE TABLE audit.checkpoints (
        tree_size   bigint PRIMARY KEY CHECK (tree_size > 0),
        root_hash   text NOT NULL,
        frontier    jsonb NOT NULL,
        signed_note text NOT NULL,
        key_id      text NOT NULL,
        signature   text NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now()
      )`);

    for (const table of ['access_log', 'ledger_leaves', 'checkpoints']) {
      await q.query(`CREATE TRIGGER ${table}_no_update_delete BEFORE UPDATE OR DELETE ON audit.${table}
                     FOR EACH ROW EXECUTE FUNCTION audit.refuse_change()`);
      await q.query(`CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON audit.${table}
                     FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_change()`);
    }

    // Auditors filter events by patient, actor and time; these keep those queries off full scans.
    await q.query(`CREATE INDEX events_course_patient ON es.events ((data ->> 'patientRef')) WHERE event_type = 'CourseStarted'`);
    await q.query(`CREATE INDEX events_actor ON es.events ((metadata #>> '{actor,id}'), transaction_id, global_position)`);
    await q.query(`CREATE INDEX events_recorded_at ON es.events (recorded_at)`);
  }

  async down(): Promise<void> {
    // Deliberately irreversible: the access log and the signed checkpoints are audit records.
    throw new Error('The audit ledger migration cannot be reverted.');
  }
}
