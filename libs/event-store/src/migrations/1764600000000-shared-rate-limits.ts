import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The API's rate-limit counters, shared by every API instance (behind a load balancer N instances
 * would otherwise allow N times the limit). The columns are the ones `rate-limiter-flexible`'s
 * PostgreSQL store expects; the key is a hash, never a person's subject or an address in clear.
 * Counters are working state, not records: expired rows are deleted.
 */
export class SharedRateLimits1764600000000 implements MigrationInterface {
  name = 'SharedRateLimits1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE api.rate_limits (
        key    varchar(255) PRIMARY KEY,
        points integer NOT NULL DEFAULT 0,
        expire bigint
      )`);
    await q.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON api.rate_limits TO care_app`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE api.rate_limits`);
  }
}
