import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * At most one active course per (site, patient, protocol). The row names the course that holds the
 * place; a new start takes it over only once that course is closed (checked against its record when
 * the new start collides). The primary key makes concurrent starts for one patient atomic.
 */
export class CreateActiveCourses1764300000002 implements MigrationInterface {
  name = 'CreateActiveCourses1764300000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE api.active_courses (
        site_id     text NOT NULL,
        patient_ref text NOT NULL,
        protocol_id text NOT NULL,
        course_id   text NOT NULL,
        claimed_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (site_id, patient_ref, protocol_id)
      )`);
    await q.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON api.active_courses TO care_app`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE api.active_courses`);
  }
}
