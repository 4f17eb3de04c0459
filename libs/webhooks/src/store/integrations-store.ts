import { createHash, randomUUID } from 'node:crypto';
import type { DataSource, QueryRunner } from 'typeorm';
import type { SecretBox } from '@care/crypto';
import { queryRows } from '@care/event-store';
import { thinPayload, type ThinPayload } from '../catalogue';
import { generateWebhookSecret } from '../secrets';

type Db = Pick<DataSource | QueryRunner, 'query'>;

/** How long a replaced secret keeps verifying (inbound) and being signed with (outbound). */
export const SECRET_OVERLAP_HOURS = 24;
/** Secrets kept per source or subscription (the current one and those still in their overlap). */
const MAX_SECRETS = 10;

type SealedSecret = { sealed: string; createdAt: string; expiresAt: string | null };
/** A secret as shown to admins: never its value. */
export type SecretInfo = { createdAt: string; expiresAt: string | null };

export type Source = { sourceId: string; name: string; siteId: string; createdBy: string; createdAt: string; secrets: SecretInfo[] };

export type Subscription = {
  subscriptionId: string;
  siteId: string;
  url: string;
  eventTypes: string[];
  description: string | null;
  enabled: boolean;
  disabledReason: string | null;
  disabledAt: string | null;
  failingSince: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  secrets: SecretInfo[];
};

export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'skipped';

export type Delivery = {
  deliveryId: string;
  subscriptionId: string;
  eventId: string;
  globalPosition: string;
  courseId: string;
  siteId: string;
  eventType: string;
  payload: ThinPayload;
  status: DeliveryStatus;
  runs: number;
  attempts: number;
  createdAt: string;
  lastAttemptAt: string | null;
  deliveredAt: string | null;
};

export type DeliveryAttempt = {
  attempt: number;
  run: number;
  attemptedAt: string;
  statusCode: number | null;
  error: string | null;
  latencyMs: number;
  responseExcerpt: string | null;
};

export type OperationalEvent = { id: string; subscriptionId: string | null; type: string; detail: Record<string, unknown>; recordedAt: string };

const iso = (v: Date | string | null): string | null => (v === null ? null : new Date(v).toISOString());
const info = (secrets: SealedSecret[]): SecretInfo[] => secrets.map((s) => ({ createdAt: s.createdAt, expiresAt: s.expiresAt }));
const active = (secrets: SealedSecret[], now: Date): SealedSecret[] => secrets.filter((s) => s.expiresAt === null || Date.parse(s.expiresAt) > now.getTime());

/** The deterministic id of the delivery of one event to one subscription: a re-run of the relay finds it. */
export const deliveryIdFor = (subscriptionId: string, eventId: string): string =>
  `dlv_${createHash('sha256').update(`${subscriptionId}|${eventId}`).digest('hex').slice(0, 32)}`;

type SourceRow = { source_id: string; name: string; site_id: string; secrets: SealedSecret[]; created_by: string; created_at: Date };
type SubscriptionRow = {
  subscription_id: string;
  site_id: string;
  url: string;
  event_types: string[];
  description: string | null;
  enabled: boolean;
  disabled_reason: string | null;
  disabled_at: Date | null;
  failing_since: Date | null;
  secrets: SealedSecret[];
  created_by: string;
  created_at: Date;
  updated_at: Date;
};
type DeliveryRow = {
  delivery_id: string;
  subscription_id: string;
  event_id: string;
  global_position: string;
  course_id: string;
  site_id: string;
  event_type: string;
  payload: ThinPayload;
  status: DeliveryStatus;
  runs: number;
  attempts: number;
  created_at: Date;
  last_attempt_at: Date | null;
  delivered_at: Date | null;
};

const toSource = (r: SourceRow): Source => ({
  sourceId: r.source_id,
  name: r.name,
  siteId: r.site_id,
  createdBy: r.created_by,
  createdAt: iso(r.created_at)!,
  secrets: info(r.secrets),
});
const toSubscription = (r: SubscriptionRow): Subscription => ({
  subscriptionId: r.subscription_id,
  siteId: r.site_id,
  url: r.url,
  eventTypes: r.event_types,
  description: r.description,
  enabled: r.enabled,
  disabledReason: r.disabled_reason,
  disabledAt: iso(r.disabled_at),
  failingSince: iso(r.failing_since),
  createdBy: r.created_by,
  createdAt: iso(r.created_at)!,
  updatedAt: iso(r.updated_at)!,
  secrets: info(r.secrets),
});
const toDelivery = (r: DeliveryRow): Delivery => ({
  deliveryId: r.delivery_id,
  subscriptionId: r.subscription_id,
  eventId: r.event_id,
  globalPosition: String(r.global_position),
  courseId: r.course_id,
  siteId: r.site_id,
  eventType: r.event_type,
  payload: r.payload,
  status: r.status,
  runs: r.runs,
  attempts: r.attempts,
  createdAt: iso(r.created_at)!,
  lastAttemptAt: iso(r.last_attempt_at),
  deliveredAt: iso(r.delivered_at),
});

/**
 * Sources, receipts, subscriptions, deliveries and attempts in PostgreSQL (`integrations.*`). Secrets
 * enter and leave only through the SecretBox: the database holds them sealed.
 */
export class IntegrationsStore {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  // ------------------------------------------------------------------ inbound sources

  async createSource(input: { name: string; siteId: string; createdBy: string }): Promise<{ source: Source; secret: string }> {
    const sourceId = randomUUID();
    const secret = generateWebhookSecret();
    const secrets: SealedSecret[] = [{ sealed: this.box.seal(secret, `source:${sourceId}`), createdAt: this.clock().toISOString(), expiresAt: null }];
    const [row] = (await this.db.query(
      `INSERT INTO integrations.sources (source_id, name, site_id, secrets, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
      [sourceId, input.name, input.siteId, JSON.stringify(secrets), input.createdBy],
    )) as SourceRow[];
    return { source: toSource(row!), secret };
  }

  async listSources(sites: readonly string[]): Promise<Source[]> {
    const rows = (await this.db.query(`SELECT * FROM integrations.sources WHERE site_id = ANY($1) ORDER BY created_at`, [sites])) as SourceRow[];
    return rows.map(toSource);
  }

  async getSource(sourceId: string): Promise<Source | null> {
    const row = await this.sourceRow(sourceId);
    return row ? toSource(row) : null;
  }

  /** The secrets that verify a source's webhooks now: the current one and any still in its overlap. */
  async sourceSecrets(sourceId: string): Promise<string[]> {
    const row = await this.sourceRow(sourceId);
    return row ? active(row.secrets, this.clock()).map((s) => this.box.open(s.sealed, `source:${sourceId}`)) : [];
  }

  async rotateSourceSecret(sourceId: string): Promise<{ secret: string; previousValidUntil: string } | null> {
    return this.rotate('sources', 'source_id', sourceId, `source:${sourceId}`);
  }

  // ------------------------------------------------------------------ inbound receipts

  /**
   * Claims (source, webhook id). `created`: this request is the first; otherwise the stored answer
   * (null while the first copy is still being executed) and whether the body is the same.
   */
  async claimReceipt(sourceId: string, webhookId: string, requestHash: string): Promise<{ created: boolean; sameRequest: boolean; status: number | null; answer: unknown }> {
    const inserted = (await this.db.query(
      `INSERT INTO integrations.webhook_receipts (source_id, webhook_id, request_hash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING webhook_id`,
      [sourceId, webhookId, requestHash],
    )) as unknown[];
    if (inserted.length === 1) return { created: true, sameRequest: true, status: null, answer: null };
    const [row] = (await this.db.query(`SELECT request_hash, status, answer FROM integrations.webhook_receipts WHERE source_id = $1 AND webhook_id = $2`, [
      sourceId,
      webhookId,
    ])) as { request_hash: string; status: number | null; answer: unknown }[];
    return { created: false, sameRequest: row?.request_hash === requestHash, status: row?.status ?? null, answer: row?.answer ?? null };
  }

  async storeAnswer(sourceId: string, webhookId: string, status: number, answer: unknown): Promise<void> {
    await this.db.query(
      `UPDATE integrations.webhook_receipts SET status = $3, answer = $4, answered_at = now() WHERE source_id = $1 AND webhook_id = $2 AND status IS NULL`,
      [sourceId, webhookId, status, JSON.stringify(answer)],
    );
  }

  // ------------------------------------------------------------------ outbound subscriptions

  async createSubscription(input: { siteId: string; url: string; eventTypes: string[]; description: string | null; createdBy: string }): Promise<{ subscription: Subscription; secret: string }> {
    const subscriptionId = randomUUID();
    const secret = generateWebhookSecret();
    const secrets: SealedSecret[] = [{ sealed: this.box.seal(secret, `subscription:${subscriptionId}`), createdAt: this.clock().toISOString(), expiresAt: null }];
    const [row] = (await this.db.query(
      `INSERT INTO integrations.subscriptions (subscription_id, site_id, url, event_types, description, secrets, created_by, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING *`,
      [subscriptionId, input.siteId, input.url, input.eventTypes, input.description, JSON.stringify(secrets), input.createdBy, this.clock()],
    )) as SubscriptionRow[];
    return { subscription: toSubscription(row!), secret };
  }

  async listSubscriptions(sites: readonly string[]): Promise<Subscription[]> {
    const rows = (await this.db.query(`SELECT * FROM integrations.subscriptions WHERE site_id = ANY($1) ORDER BY created_at`, [sites])) as SubscriptionRow[];
    return rows.map(toSubscription);
  }

  async getSubscription(subscriptionId: string): Promise<Subscription | null> {
    const [row] = (await this.db.query(`SELECT * FROM integrations.subscriptions WHERE subscription_id = $1`, [subscriptionId])) as SubscriptionRow[];
    return row ? toSubscription(row) : null;
  }

  /** Changes url, event types or enabled; enabling clears the reason it was disabled and its failure streak. */
  async updateSubscription(subscriptionId: string, patch: { url?: string; eventTypes?: string[]; enabled?: boolean; description?: string | null }): Promise<Subscription | null> {
    const [row] = queryRows<SubscriptionRow>(await this.db.query(
      `UPDATE integrations.subscriptions SET
         url = coalesce($2, url),
         event_types = coalesce($3, event_types),
         description = CASE WHEN $5 THEN $6 ELSE description END,
         enabled = coalesce($4, enabled),
         disabled_reason = CASE WHEN $4 IS TRUE THEN NULL WHEN $4 IS FALSE THEN 'disabled by an admin' ELSE disabled_reason END,
         disabled_at = CASE WHEN $4 IS TRUE THEN NULL WHEN $4 IS FALSE AND enabled THEN now() ELSE disabled_at END,
         failing_since = CASE WHEN $4 IS TRUE THEN NULL ELSE failing_since END,
         updated_at = now()
       WHERE subscription_id = $1 RETURNING *`,
      [subscriptionId, patch.url ?? null, patch.eventTypes ?? null, patch.enabled ?? null, patch.description !== undefined, patch.description ?? null],
    ));
    return row ? toSubscription(row) : null;
  }

  async rotateSubscriptionSecret(subscriptionId: string): Promise<{ secret: string; previousValidUntil: string } | null> {
    return this.rotate('subscriptions', 'subscription_id', subscriptionId, `subscription:${subscriptionId}`);
  }

  /** The secrets a delivery is signed with now: each one gives a signature, so a receiver with either verifies. */
  async subscriptionSecrets(subscriptionId: string): Promise<string[]> {
    const [row] = (await this.db.query(`SELECT secrets FROM integrations.subscriptions WHERE subscription_id = $1`, [subscriptionId])) as { secrets: SealedSecret[] }[];
    return row ? active(row.secrets, this.clock()).map((s) => this.box.open(s.sealed, `subscription:${subscriptionId}`)) : [];
  }

  async disableSubscription(subscriptionId: string, reason: string, detail: Record<string, unknown>): Promise<boolean> {
    const rows = queryRows(
      await this.db.query(
        `UPDATE integrations.subscriptions SET enabled = false, disabled_reason = $2, disabled_at = now(), updated_at = now()
          WHERE subscription_id = $1 AND enabled RETURNING subscription_id`,
        [subscriptionId, reason],
      ),
    );
    if (rows.length === 0) return false;
    await this.recordOperationalEvent(subscriptionId, 'endpoint.disabled', { reason, ...detail });
    return true;
  }

  async recordOperationalEvent(subscriptionId: string | null, type: string, detail: Record<string, unknown>): Promise<void> {
    await this.db.query(`INSERT INTO integrations.operational_events (subscription_id, type, detail) VALUES ($1, $2, $3)`, [subscriptionId, type, JSON.stringify(detail)]);
  }

  async operationalEvents(subscriptionId: string): Promise<OperationalEvent[]> {
    const rows = (await this.db.query(`SELECT * FROM integrations.operational_events WHERE subscription_id = $1 ORDER BY id`, [subscriptionId])) as {
      id: string;
      subscription_id: string | null;
      type: string;
      detail: Record<string, unknown>;
      recorded_at: Date;
    }[];
    return rows.map((r) => ({ id: String(r.id), subscriptionId: r.subscription_id, type: r.type, detail: r.detail, recordedAt: iso(r.recorded_at)! }));
  }

  // ------------------------------------------------------------------ the relay: events -> deliveries

  /**
   * Enqueues one delivery per (matching subscription, event), inside the relay's checkpoint
   * transaction: each event is matched once, and the deterministic id makes a re-run harmless. A
   * subscription receives events recorded after it was created; a disabled one gets them as
   * `skipped`, so recovery can send what it missed.
   */
  async enqueueDeliveries(events: { globalPosition: string; eventId: string; streamId: string; streamVersion: number; type: string; data: Record<string, unknown>; metadata: Record<string, unknown>; recordedAt: string }[]): Promise<number> {
    if (events.length === 0) return 0;
    const subscriptions = (await this.db.query(`SELECT subscription_id, site_id, event_types, enabled, created_at FROM integrations.subscriptions`)) as Pick<
      SubscriptionRow,
      'subscription_id' | 'site_id' | 'event_types' | 'enabled' | 'created_at'
    >[];
    if (subscriptions.length === 0) return 0;
    const rows: { id: string; sub: string; event: string; position: string; course: string; site: string; type: string; payload: string; status: DeliveryStatus; runs: number }[] = [];
    for (const event of events) {
      if (!event.streamId.startsWith('course-')) continue;
      const courseId = event.streamId.slice('course-'.length);
      // Every command's actor acts for the course's own site (the decider refuses any other), the workflow's too.
      const siteId = String((event.metadata['actor'] as { siteId?: unknown } | undefined)?.siteId ?? '');
      const payload = thinPayload(event, courseId, siteId);
      if (!payload) continue;
      for (const s of subscriptions) {
        if (s.site_id !== siteId || !s.event_types.includes(payload.type) || s.created_at.getTime() > Date.parse(event.recordedAt)) continue;
        rows.push({
          id: deliveryIdFor(s.subscription_id, event.eventId),
          sub: s.subscription_id,
          event: event.eventId,
          position: event.globalPosition,
          course: courseId,
          site: siteId,
          type: payload.type,
          payload: JSON.stringify(payload),
          status: s.enabled ? 'pending' : 'skipped',
          runs: s.enabled ? 1 : 0,
        });
      }
    }
    if (rows.length === 0) return 0;
    const inserted = (await this.db.query(
      `INSERT INTO integrations.deliveries (delivery_id, subscription_id, event_id, global_position, course_id, site_id, event_type, payload, status, runs)
       SELECT * FROM unnest($1::text[], $2::uuid[], $3::uuid[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::jsonb[], $9::text[], $10::integer[])
       ON CONFLICT (delivery_id) DO NOTHING RETURNING delivery_id`,
      [
        rows.map((r) => r.id),
        rows.map((r) => r.sub),
        rows.map((r) => r.event),
        rows.map((r) => r.position),
        rows.map((r) => r.course),
        rows.map((r) => r.site),
        rows.map((r) => r.type),
        rows.map((r) => r.payload),
        rows.map((r) => r.status),
        rows.map((r) => r.runs),
      ],
    )) as unknown[];
    return inserted.length;
  }

  /** Deliveries whose latest run has no workflow yet (new ones, redeliveries, recoveries), oldest first. */
  async deliveriesToStart(limit: number): Promise<{ deliveryId: string; run: number }[]> {
    const rows = (await this.db.query(`SELECT delivery_id, runs FROM integrations.deliveries WHERE started_runs < runs ORDER BY created_at LIMIT $1`, [limit])) as {
      delivery_id: string;
      runs: number;
    }[];
    return rows.map((r) => ({ deliveryId: r.delivery_id, run: r.runs }));
  }

  async markStarted(deliveryId: string, run: number): Promise<void> {
    await this.db.query(`UPDATE integrations.deliveries SET started_runs = $2 WHERE delivery_id = $1 AND started_runs < $2`, [deliveryId, run]);
  }

  // ------------------------------------------------------------------ delivery attempts

  async getDelivery(deliveryId: string): Promise<Delivery | null> {
    const [row] = (await this.db.query(`SELECT * FROM integrations.deliveries WHERE delivery_id = $1`, [deliveryId])) as DeliveryRow[];
    return row ? toDelivery(row) : null;
  }

  async attempts(deliveryId: string): Promise<DeliveryAttempt[]> {
    const rows = (await this.db.query(`SELECT * FROM integrations.delivery_attempts WHERE delivery_id = $1 ORDER BY attempt`, [deliveryId])) as {
      attempt: number;
      run: number;
      attempted_at: Date;
      status_code: number | null;
      error: string | null;
      latency_ms: number;
      response_excerpt: string | null;
    }[];
    return rows.map((r) => ({
      attempt: r.attempt,
      run: r.run,
      attemptedAt: iso(r.attempted_at)!,
      statusCode: r.status_code,
      error: r.error,
      latencyMs: r.latency_ms,
      responseExcerpt: r.response_excerpt,
    }));
  }

  async listDeliveries(filter: { subscriptionId?: string; eventId?: string }, page: { limit: number; before?: string }): Promise<Delivery[]> {
    const rows = (await this.db.query(
      `SELECT * FROM integrations.deliveries
        WHERE ($1::uuid IS NULL OR subscription_id = $1) AND ($2::uuid IS NULL OR event_id = $2) AND ($3::bigint IS NULL OR global_position < $3)
        ORDER BY global_position DESC, delivery_id LIMIT $4`,
      [filter.subscriptionId ?? null, filter.eventId ?? null, page.before ?? null, page.limit],
    )) as DeliveryRow[];
    return rows.map(toDelivery);
  }

  /** Logs one attempt (numbered across runs) and updates the delivery and the endpoint's failure streak. */
  async recordAttempt(input: {
    deliveryId: string;
    subscriptionId: string;
    run: number;
    attemptedAt: Date;
    statusCode: number | null;
    error: string | null;
    latencyMs: number;
    responseExcerpt: string | null;
    delivered: boolean;
  }): Promise<{ attempt: number; failingSince: string | null }> {
    // One statement: the attempt is in the log by the time the delivery shows its new state.
    const [d] = (await this.db.query(
      `WITH d AS (
         UPDATE integrations.deliveries SET attempts = attempts + 1, last_attempt_at = $2,
                status = CASE WHEN $3 THEN 'delivered' ELSE status END, delivered_at = CASE WHEN $3 THEN $2 ELSE delivered_at END
          WHERE delivery_id = $1 RETURNING attempts)
       INSERT INTO integrations.delivery_attempts (delivery_id, attempt, run, attempted_at, status_code, error, latency_ms, response_excerpt)
       SELECT $1, d.attempts, $4, $2, $5, $6, $7, $8 FROM d RETURNING attempt`,
      [input.deliveryId, input.attemptedAt, input.delivered, input.run, input.statusCode, input.error, Math.round(input.latencyMs), input.responseExcerpt],
    )) as { attempt: number }[];
    const attempt = d!.attempt;
    const [s] = queryRows<{ failing_since: Date | null }>(
      await this.db.query(
        // Only when the streak starts or ends: concurrent deliveries to one endpoint do not queue on its row.
        `UPDATE integrations.subscriptions SET failing_since = CASE WHEN $2 THEN NULL ELSE $3::timestamptz END
          WHERE subscription_id = $1 AND (CASE WHEN $2 THEN failing_since IS NOT NULL ELSE failing_since IS NULL END) RETURNING failing_since`,
        [input.subscriptionId, input.delivered, input.attemptedAt],
      ),
    );
    if (s || input.delivered) return { attempt, failingSince: iso(s?.failing_since ?? null) };
    const [current] = (await this.db.query(`SELECT failing_since FROM integrations.subscriptions WHERE subscription_id = $1`, [input.subscriptionId])) as {
      failing_since: Date | null;
    }[];
    return { attempt, failingSince: iso(current?.failing_since ?? null) };
  }

  async markDeliveryFailed(deliveryId: string): Promise<void> {
    await this.db.query(`UPDATE integrations.deliveries SET status = 'failed' WHERE delivery_id = $1 AND status = 'pending'`, [deliveryId]);
  }

  async markDeliverySkipped(deliveryId: string): Promise<void> {
    await this.db.query(`UPDATE integrations.deliveries SET status = 'skipped' WHERE delivery_id = $1 AND status = 'pending'`, [deliveryId]);
  }

  /** Queues one more run of a delivery (the relay starts it). False when it does not exist. */
  async redeliver(deliveryId: string): Promise<boolean> {
    const rows = queryRows(await this.db.query(`UPDATE integrations.deliveries SET runs = runs + 1, status = 'pending' WHERE delivery_id = $1 RETURNING delivery_id`, [deliveryId]));
    return rows.length === 1;
  }

  /** Queues again every failed or skipped delivery of a subscription created since `since` (at most 10,000). */
  async recover(subscriptionId: string, since: Date): Promise<number> {
    const rows = queryRows(await this.db.query(
      `UPDATE integrations.deliveries SET runs = runs + 1, status = 'pending'
        WHERE delivery_id IN (SELECT delivery_id FROM integrations.deliveries
                               WHERE subscription_id = $1 AND created_at >= $2 AND status IN ('failed', 'skipped')
                               ORDER BY created_at LIMIT 10000)
        RETURNING delivery_id`,
      [subscriptionId, since],
    ));
    return rows.length;
  }

  // ------------------------------------------------------------------ helpers

  private async sourceRow(sourceId: string): Promise<SourceRow | undefined> {
    const [row] = (await this.db.query(`SELECT * FROM integrations.sources WHERE source_id = $1`, [sourceId])) as SourceRow[];
    return row;
  }

  /**
   * New current secret; the previous current one stays valid for the overlap; expired ones are dropped.
   * Compare-and-set on the stored list, so two rotations at once cannot lose one's secret.
   */
  private async rotate(table: 'sources' | 'subscriptions', idColumn: string, id: string, purpose: string): Promise<{ secret: string; previousValidUntil: string } | null> {
    for (let tries = 0; tries < 5; tries++) {
      const now = this.clock();
      const [row] = (await this.db.query(`SELECT secrets FROM integrations.${table} WHERE ${idColumn} = $1`, [id])) as { secrets: SealedSecret[] }[];
      if (!row) return null;
      const until = new Date(now.getTime() + SECRET_OVERLAP_HOURS * 3_600_000).toISOString();
      const secret = generateWebhookSecret();
      const kept = active(row.secrets, now).map((s) => (s.expiresAt === null ? { ...s, expiresAt: until } : s));
      const secrets = [{ sealed: this.box.seal(secret, purpose), createdAt: now.toISOString(), expiresAt: null }, ...kept].slice(0, MAX_SECRETS);
      const changed = queryRows(
        await this.db.query(`UPDATE integrations.${table} SET secrets = $2, updated_at = now() WHERE ${idColumn} = $1 AND secrets = $3 RETURNING ${idColumn}`, [
          id,
          JSON.stringify(secrets),
          JSON.stringify(row.secrets),
        ]),
      );
      if (changed.length === 1) return { secret, previousValidUntil: until };
    }
    throw new Error('the secret changed concurrently five times in a row');
  }
}
