import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The worker's delivery backlog metrics read the pending deliveries only: this keeps that off a full scan. */
export class PendingDeliveriesIndex1764600000001 implements MigrationInterface {
  name = 'PendingDeliveriesIndex1764600000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX deliveries_pending ON integrations.deliveries (created_at) WHERE status = 'pending'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX integrations.deliveries_pending`);
  }
}
