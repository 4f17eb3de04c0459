import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Integrations: inbound sources (systems that trigger steps by signed webhooks) with a receipt per
 * webhook, so a re-sent webhook gets the stored answer; outbound subscriptions with one delivery per
 * (subscription, event) and a row per attempt, which admins and auditors read. Secrets are stored
 * only encrypted (`v1:<key id>:...`, AES-256-GCM under the payload codec keys), never in clear text.
 */
export class CreateIntegrations1764300000001 implements MigrationInterface {
  name = 'CreateIntegrations1764300000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS integrations`);
    await q.query(`
      CREATE TABLE integrations.sources (
        source_id   uuid PRIMARY KEY,
        name        text NOT NULL,
        site_id     text NOT NULL,
        -- [{secret: <encrypted>, createdAt, expiresAt|null}], newest first
        secrets     jsonb NOT NULL,
        created_by  text NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now(),
        updated_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE integrations.webhook_receipts (
        source_id    uuid NOT NULL REFERENCES integrations.sources (source_id),
        webhook_id   text NOT NULL,
        request_hash text NOT NULL,
        status       integer,
        answer       jsonb,
        received_at  timestamptz NOT NULL DEFAULT now(),
        answered_at  timestamptz,
        PRIMARY KEY (source_id, webhook_id)
      )`);
    await q.query(`
      CREATE TABLE integrations.subscriptions (
        subscription_id uuid PRIMARY KEY,
        site_id         text NOT NULL,
        url             text NOT NULL,
        event_types     text[] NOT NULL,
        description     text,
        enabled         boolean NOT NULL DEFAULT true,
        disabled_reason text,
        disabled_at     timestamptz,
        -- first failed attempt since the last success; the endpoint is disabled when this is too old
        failing_since   timestamptz,
        secrets         jsonb NOT NULL,
        created_by      text NOT NULL,
        created_at      timestamptz NOT NULL DEFAULT now(),
        updated_at      timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX subscriptions_site ON integrations.subscriptions (site_id)`);
    await q.query(`
      CREATE TABLE integrations.deliveries (
        delivery_id     text PRIMARY KEY,
        subscription_id uuid NOT NULL REFERENCES integrations.subscriptions (subscription_id),
        event_id        uuid NOT NULL,
        global_position bigint NOT NULL,
        course_id       text NOT NULL,
        site_id         text NOT NULL,
        event_type      text NOT NULL,
        payload         jsonb NOT NULL,
        -- pending (waiting or retrying), delivered, failed (attempts exhausted or endpoint gone), skipped (subscription disabled)
        status          text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'skipped')),
        runs            integer NOT NULL DEFAULT 0,
        started_runs    integer NOT NULL DEFAULT 0,
        attempts        integer NOT NULL DEFAULT 0,
        created_at      timestamptz NOT NULL DEFAULT now(),
        last_attempt_at timestamptz,
        delivered_at    timestamptz,
        UNIQUE (subscription_id, event_id)
      )`);
    await q.query(`CREATE INDEX deliveries_subscription ON integrations.deliveries (subscription_id, created_at)`);
    await q.query(`CREATE INDEX deliveries_event ON integrations.deliveries (event_id)`);
    await q.query(`CREATE INDEX deliveries_to_start ON integrations.deliveries (created_at) WHERE started_runs < runs`);
    await q.query(`
      CREATE TABLE integrations.delivery_attempts (
        delivery_id      text NOT NULL REFERENCES integrations.deliveries (delivery_id),
        attempt          integer NOT NULL,
        run              integer NOT NULL,
        attempted_at     timestamptz NOT NULL,
        status_code      integer,
        error            text,
        latency_ms       integer NOT NULL,
        response_excerpt text,
        PRIMARY KEY (delivery_id, attempt)
      )`);
    await q.query(`
      CREATE TABLE integrations.operational_events (
        id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        subscription_id uuid REFERENCES integrations.subscriptions (subscription_id),
        type            text NOT NULL,
        detail          jsonb NOT NULL,
        recorded_at     timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`GRANT USAGE ON SCHEMA integrations TO care_app, care_auditor`);
    await q.query(`GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA integrations TO care_app`);
    await q.query(`GRANT SELECT ON ALL TABLES IN SCHEMA integrations TO care_auditor`);
    // Attempts and operational events are a log: added to, never changed.
    await q.query(`REVOKE UPDATE ON integrations.delivery_attempts, integrations.operational_events FROM care_app`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP SCHEMA integrations CASCADE`);
  }
}
