import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Remembers each Idempotency-Key with a hash of its request, so a replay with a different body is refused. */
export class CreateIdempotencyKeys1764190000001 implements MigrationInterface {
  name = 'CreateIdempotencyKeys1764190000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS api`);
    await q.query(`
      CREATE TABLE api.idempotency_keys (
        scope        text NOT NULL,
        key          text NOT NULL,
        request_hash text NOT NULL,
        resource_id  text NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (scope, key)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE api.idempotency_keys`);
  }
}
