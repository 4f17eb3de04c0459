import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Read models built from the events, and their checkpoints. Everything here is derived and can be
 * rebuilt from `es.events` at any time, so (unlike the events) these tables may be updated and cleared.
 */
export class CreateProjections1764200000001 implements MigrationInterface {
  name = 'CreateProjections1764200000001';

  async up(q: QueryRunner): Promise<void> {
    // Where each projection stands, as (transaction id, global position) in xmin-safe order. Written in
    // the same transaction as the read-model rows, so a crash never applies an event twice or not at all.
    await q.query(`
      CREATE TABLE es.projection_checkpoints (
        name                 text PRIMARY KEY,
        last_transaction_id  xid8 NOT NULL DEFAULT '0',
        last_global_position bigint NOT NULL DEFAULT 0,
        events_processed     bigint NOT NULL DEFAULT 0,
        status               text NOT NULL DEFAULT 'running',
        updated_at           timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE SCHEMA IF NOT EXISTS projections`);
    await q.query(`
      CREATE TABLE projections.course_summary (
        stream_id       text PRIMARY KEY,
        course_id       text NOT NULL,
        site_id         text,
        patient_ref     text,
        protocol_id     text,
        status          text NOT NULL,
        phase           text,
        version         bigint NOT NULL,
        started_at      timestamptz,
        closed_at       timestamptz,
        next_due_at     timestamptz,
        next_due_label  text,
        last_event_type text NOT NULL,
        state           jsonb,
        updated_at      timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX course_summary_site ON projections.course_summary (site_id, next_due_at)`);
    await q.query(`CREATE INDEX course_summary_patient ON projections.course_summary (patient_ref)`);
    await q.query(`
      CREATE TABLE projections.worklist_items (
        stream_id   text NOT NULL,
        item_key    text NOT NULL,
        course_id   text NOT NULL,
        site_id     text NOT NULL,
        label       text NOT NULL,
        command     text NOT NULL,
        session_key text,
        earliest_at timestamptz,
        due_at      timestamptz NOT NULL,
        PRIMARY KEY (stream_id, item_key)
      )`);
    await q.query(`CREATE INDEX worklist_site_due ON projections.worklist_items (site_id, due_at)`);
    await q.query(`
      CREATE TABLE projections.patient_timeline (
        global_position bigint PRIMARY KEY,
        stream_id       text NOT NULL,
        stream_version  bigint NOT NULL,
        course_id       text NOT NULL,
        site_id         text,
        patient_ref     text,
        event_type      text NOT NULL,
        occurred_at     timestamptz,
        recorded_at     timestamptz NOT NULL,
        actor_id        text,
        actor_name      text,
        actor_role      text,
        reason          text
      )`);
    await q.query(`CREATE INDEX patient_timeline_patient ON projections.patient_timeline (patient_ref, recorded_at)`);
    await q.query(`CREATE INDEX patient_timeline_course ON projections.patient_timeline (stream_id, stream_version)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP SCHEMA projections CASCADE`);
    await q.query(`DROP TABLE es.projection_checkpoints`);
  }
}
