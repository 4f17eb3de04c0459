import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The database roles. `care_app` is what the API and the worker run as: it may only INSERT and SELECT
 * on the events, the access log and the ledger (the triggers refuse UPDATE/DELETE/TRUNCATE even to an
 * owner), may move a stream's version forward, and may maintain the rebuildable read models.
 * `care_auditor` may only read. Both are NOLOGIN here; an operator may add LOGIN and a password
 * (docker/postgres-init does), or the service connects as the owner and sets the role per connection.
 * Roles are cluster-wide, so they are created only when missing.
 */
export class CreateDatabaseRoles1764200000002 implements MigrationInterface {
  name = 'CreateDatabaseRoles1764200000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      DO $$
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'care_app') THEN CREATE ROLE care_app NOLOGIN; END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'care_auditor') THEN CREATE ROLE care_auditor NOLOGIN; END IF;
      EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL; -- another database of the cluster created it at the same moment
      END $$`);
    // The migrating owner must be able to SET ROLE care_app (a superuser always can). A non-superuser
    // owner without ADMIN on the role gets a clear failure at first connection instead of here.
    await q.query(`
      DO $$
      BEGIN
        IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
          EXECUTE format('GRANT care_app, care_auditor TO %I', current_user);
        END IF;
      EXCEPTION WHEN insufficient_privilege THEN
        RAISE NOTICE 'could not grant care_app to %; grant it as a superuser', current_user;
      END $$`);

    await q.query(`GRANT USAGE ON SCHEMA es, api, audit, projections TO care_app, care_auditor`);
    await q.query(`REVOKE ALL ON ALL TABLES IN SCHEMA es, api, audit, projections FROM care_app, care_auditor`);
    // Append-only records: INSERT and SELECT, nothing else.
    await q.query(`GRANT SELECT, INSERT ON es.events, audit.access_log, audit.ledger_leaves, audit.checkpoints TO care_app`);
    // es.append_events moves the stream's version and last hash forward (compare-and-set); never deletes.
    await q.query(`GRANT SELECT, INSERT ON es.streams TO care_app`);
    await q.query(`GRANT UPDATE (version, last_hash, updated_at) ON es.streams TO care_app`);
    await q.query(`GRANT SELECT, INSERT ON api.idempotency_keys TO care_app`);
    // Derived data, rebuilt from the events on demand.
    await q.query(`GRANT SELECT, INSERT, UPDATE ON es.projection_checkpoints TO care_app`);
    await q.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA projections TO care_app`);
    await q.query(`GRANT SELECT ON ALL TABLES IN SCHEMA es, audit, projections TO care_auditor`);
    await q.query(`REVOKE ALL ON FUNCTION es.append_events FROM PUBLIC`);
    await q.query(`GRANT EXECUTE ON FUNCTION es.append_events TO care_app`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Roles are shared by every database of the cluster: only this database's grants are withdrawn.
    await q.query(`REVOKE ALL ON ALL TABLES IN SCHEMA es, api, audit, projections FROM care_app, care_auditor`);
    await q.query(`REVOKE USAGE ON SCHEMA es, api, audit, projections FROM care_app, care_auditor`);
  }
}
