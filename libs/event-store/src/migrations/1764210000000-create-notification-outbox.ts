import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Notifications the course workflow raises (reminders, overdue steps, escalations, missed readings).
 * Recorded here, one row per triggering event, until outbound webhooks deliver them; `event_id` makes
 * a retried activity write nothing twice.
 */
export class CreateNotificationOutbox1764210000000 implements MigrationInterface {
  name = 'CreateNotificationOutbox1764210000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS notify`);
    await q.query(`
      CREATE TABLE notify.outbox (
        id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        event_id     uuid NOT NULL UNIQUE,
        course_id    text NOT NULL,
        site_id      text NOT NULL,
        kind         text NOT NULL,
        payload      jsonb NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz
      )`);
    await q.query(`CREATE INDEX outbox_undelivered ON notify.outbox (id) WHERE delivered_at IS NULL`);
    await q.query(`GRANT USAGE ON SCHEMA notify TO care_app, care_auditor`);
    await q.query(`GRANT SELECT, INSERT ON notify.outbox TO care_app`);
    await q.query(`GRANT UPDATE (delivered_at) ON notify.outbox TO care_app`);
    await q.query(`GRANT SELECT ON notify.outbox TO care_auditor`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE notify.outbox`);
  }
}
