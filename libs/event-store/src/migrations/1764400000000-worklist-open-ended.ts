import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A worklist line for a step with no deadline (a discharge, due once the minimum monitoring time has
 * passed) is due from its time on but never overdue: `open_ended` says so. Existing lines are deadlines.
 */
export class WorklistOpenEnded1764400000000 implements MigrationInterface {
  name = 'WorklistOpenEnded1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE projections.worklist_items ADD COLUMN open_ended boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE projections.worklist_items DROP COLUMN open_ended`);
  }
}
