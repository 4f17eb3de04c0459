import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One receipt per command the API sent (its id is the client's Idempotency-Key or one the API
 * generated), scoped to the caller, site and course. A retry with the same id finds the receipt and
 * is answered with the same outcome: from the record when the command's events are stored (they
 * carry the command id in their metadata, indexed here), from the receipt when it was refused.
 */
export class CreateCommandReceipts1764300000000 implements MigrationInterface {
  name = 'CreateCommandReceipts1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE api.command_receipts (
        scope        text NOT NULL,
        command_key  text NOT NULL,
        command_id   text NOT NULL,
        course_id    text NOT NULL,
        request_hash text NOT NULL,
        refusal      jsonb,
        created_at   timestamptz NOT NULL DEFAULT now(),
        decided_at   timestamptz,
        PRIMARY KEY (scope, command_key)
      )`);
    await q.query(`GRANT SELECT, INSERT ON api.command_receipts TO care_app`);
    await q.query(`GRANT UPDATE (refusal, decided_at) ON api.command_receipts TO care_app`);
    await q.query(`CREATE INDEX events_command_id ON es.events (stream_id, (metadata ->> 'commandId')) WHERE metadata ? 'commandId'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX es.events_command_id`);
    await q.query(`DROP TABLE api.command_receipts`);
  }
}
