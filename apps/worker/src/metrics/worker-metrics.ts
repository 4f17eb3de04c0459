import { PROJECTIONS } from '@care/event-store';
import type { MetricsSource } from '@care/observability';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DataSource } from 'typeorm';
import { WEBHOOK_RELAY } from '../webhooks/webhook-relay';

/** The outcome of one append, as a label: a closed set. */
export type AppendOutcome = 'stored' | 'conflict' | 'failed';
/** The outcome of one delivery attempt, as a label: a closed set. */
export type DeliveryAttemptOutcome = 'delivered' | 'retry' | 'throttled' | 'blocked' | 'gone' | 'refused';

/** Backlog figures are read from PostgreSQL at most this often, however many scrapers ask. */
const BACKLOG_CACHE_MS = 5_000;
/** Counting a backlog stops here (a figure above it already says what matters). */
const COUNT_CAP = 1_000_000;

type Backlog = {
  projections: { name: string; events: number; seconds: number }[];
  ledger: { entries: number; seconds: number; checkpointAgeSeconds: number | null };
  deliveries: { pending: number; oldestSeconds: number };
  failingEndpoints: { subscriptionId: string; seconds: number }[];
};

/**
 * The worker's Prometheus metrics. Labels hold only outcome words, projection names and webhook
 * subscription ids (configuration, never a patient, a course or a person). The backlog gauges describe
 * the whole database (every worker reports the same figures: alert on their max), read on scrape,
 * through the record keeping's own small pool, so scraping never touches the command path.
 */
export class WorkerMetrics implements MetricsSource {
  readonly registry = new Registry();

  readonly appendDuration = new Histogram({
    name: 'care_worker_append_duration_seconds',
    help: 'Time to append a command\'s events to the event store, by outcome (stored, conflict, failed).',
    labelNames: ['outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly deliveryAttempts = new Counter({
    name: 'care_worker_webhook_delivery_attempts_total',
    help: 'Webhook delivery attempts by outcome (delivered, retry, throttled, blocked, gone, refused).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  private backlog: { at: number; value: Promise<Backlog> } | null = null;
  private polling: () => boolean = () => false;

  constructor(
    private readonly options: {
      /** The record keeping's pool (opened on first use). */
      db: () => Promise<DataSource>;
      /** The Temporal runtime's own Prometheus endpoint, merged into ours; null when not installed. */
      temporalRuntimeUrl?: string | null;
      clock?: () => number;
    },
  ) {
    collectDefaultMetrics({ register: this.registry, prefix: 'care_worker_' });
    const registers = [this.registry];
    // The gauges' collect() runs with the gauge as `this`: they reach the backlog through these.
    const backlogOrNull = () => this.backlogOrNull();
    const polling = () => this.polling();
    new Gauge({
      name: 'care_worker_backlog_read_ok',
      help: '1 when the backlog figures below were read from PostgreSQL on this scrape; 0 when they are the last ones read.',
      registers,
      async collect() {
        this.set((await backlogOrNull()) ? 1 : 0);
      },
    });
    new Gauge({
      name: 'care_worker_polling',
      help: '1 while this worker polls the course task queue.',
      registers,
      collect() {
        this.set(polling() ? 1 : 0);
      },
    });
    const gauge = (name: string, help: string, read: (b: Backlog) => number) =>
      new Gauge({
        name,
        help,
        registers,
        async collect() {
          const backlog = await backlogOrNull();
          if (backlog) this.set(read(backlog));
        },
      });
    /** One sample per label value; left as last read when the backlog cannot be read. */
    const labelledGauge = (name: string, help: string, label: string, read: (b: Backlog) => [string, number][]) =>
      new Gauge({
        name,
        help,
        labelNames: [label],
        registers,
        async collect() {
          const backlog = await backlogOrNull();
          if (!backlog) return;
          this.reset();
          for (const [value, n] of read(backlog)) this.set({ [label]: value }, n);
        },
      });
    labelledGauge('care_worker_projection_lag_events', 'Events a read model (or the webhook relay) has not applied yet.', 'projection', (b) =>
      b.projections.map((p) => [p.name, p.events]),
    );
    labelledGauge('care_worker_projection_lag_seconds', 'Age of the oldest event a read model (or the webhook relay) has not applied yet; 0 when caught up.', 'projection', (b) =>
      b.projections.map((p) => [p.name, p.seconds]),
    );
    labelledGauge(
      'care_worker_webhook_endpoint_failing_seconds',
      'For each enabled subscription whose endpoint fails: seconds since its first failure after the last success.',
      'subscription',
      (b) => b.failingEndpoints.map((f) => [f.subscriptionId, f.seconds]),
    );
    gauge('care_worker_webhook_outbox_backlog_events', 'Events the webhook relay has not turned into deliveries yet.', (b) => b.projections.find((p) => p.name === WEBHOOK_RELAY)?.events ?? 0);
    gauge('care_worker_ledger_lag_entries', 'Events and read accesses not yet in the signed ledger.', (b) => b.ledger.entries);
    gauge('care_worker_ledger_lag_seconds', 'Age of the oldest event or read access not yet in the signed ledger; 0 when none.', (b) => b.ledger.seconds);
    gauge('care_worker_ledger_checkpoint_age_seconds', 'Seconds since the newest signed checkpoint (NaN before the first).', (b) => b.ledger.checkpointAgeSeconds ?? Number.NaN);
    gauge('care_worker_webhook_deliveries_pending', 'Webhook deliveries waiting or retrying.', (b) => b.deliveries.pending);
    gauge('care_worker_webhook_oldest_undelivered_seconds', 'Age of the oldest pending webhook delivery; 0 when none.', (b) => b.deliveries.oldestSeconds);
  }

  /** Where `care_worker_polling` comes from: the Temporal worker, once it exists. */
  reportPollingFrom(polling: () => boolean): void {
    this.polling = polling;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Ours, then the Temporal runtime's (left out, with a comment, when it does not answer). */
  async metrics(): Promise<string> {
    const ours = await this.registry.metrics();
    const url = this.options.temporalRuntimeUrl;
    if (!url) return ours;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return `${ours}\n${await res.text()}`;
    } catch {
      return `${ours}\n# the Temporal runtime's metrics did not answer\n`;
    }
  }

  /** The backlog, or null when PostgreSQL cannot be read now (the scrape still answers). */
  private backlogOrNull(): Promise<Backlog | null> {
    return this.readBacklog().catch(() => null);
  }

  private readBacklog(): Promise<Backlog> {
    const now = (this.options.clock ?? Date.now)();
    if (!this.backlog || now - this.backlog.at > BACKLOG_CACHE_MS) {
      const value = this.options.db().then(readBacklog);
      // A failed read is not cached: the next scrape tries again.
      value.catch(() => {
        if (this.backlog?.value === value) this.backlog = null;
      });
      this.backlog = { at: now, value };
    }
    return this.backlog.value;
  }
}

const positionAfter = (cursor: string) => `(e.transaction_id, e.global_position) > ${cursor}`;

/** Every backlog figure, in a few short statements that each follow an index. */
export const readBacklog = async (db: DataSource): Promise<Backlog> => {
  const names = [...PROJECTIONS.map((p) => p.name), WEBHOOK_RELAY];
  const cursor = `(COALESCE(c.last_transaction_id, '0'::xid8), COALESCE(c.last_global_position, 0))`;
  const projections = (await db.query(
    `SELECT p.name,
            (SELECT count(*) FROM (SELECT 1 FROM es.events e WHERE ${positionAfter(cursor)} LIMIT ${COUNT_CAP}) AS x)::int AS events,
            COALESCE(extract(epoch FROM now() - (SELECT e.recorded_at FROM es.events e WHERE ${positionAfter(cursor)}
                                                  ORDER BY e.transaction_id, e.global_position LIMIT 1)), 0)::float8 AS seconds
       FROM unnest($1::text[]) AS p (name) LEFT JOIN es.projection_checkpoints c ON c.name = p.name ORDER BY p.name`,
    [names],
  )) as { name: string; events: number; seconds: number }[];
  // The ledger integrator's cursors: the newest leaf of each source.
  const lastLeaf = (source: 'event' | 'access', column: string) =>
    `COALESCE((SELECT ${column} FROM audit.ledger_leaves WHERE source = '${source}' ORDER BY leaf_index DESC LIMIT 1), ${column === 'source_position' ? '0' : `'0'::xid8`})::text`;
  const [cursors] = (await db.query(
    `SELECT ${lastLeaf('event', 'source_transaction_id')} AS et, ${lastLeaf('event', 'source_position')} AS ep,
            ${lastLeaf('access', 'source_transaction_id')} AS at, ${lastLeaf('access', 'source_position')} AS ap`,
  )) as { et: string; ep: string; at: string; ap: string }[];
  const [ledger] = (await db.query(
    `SELECT (SELECT count(*) FROM (SELECT 1 FROM es.events e WHERE ${positionAfter('($1::xid8, $2::bigint)')} LIMIT ${COUNT_CAP}) AS x)::int
          + (SELECT count(*) FROM (SELECT 1 FROM audit.access_log a WHERE (a.transaction_id, a.access_id) > ($3::xid8, $4::bigint) LIMIT ${COUNT_CAP}) AS y)::int AS entries,
            COALESCE(extract(epoch FROM now() - LEAST(
              (SELECT e.recorded_at FROM es.events e WHERE ${positionAfter('($1::xid8, $2::bigint)')} ORDER BY e.transaction_id, e.global_position LIMIT 1),
              (SELECT a.accessed_at FROM audit.access_log a WHERE (a.transaction_id, a.access_id) > ($3::xid8, $4::bigint)
                ORDER BY a.transaction_id, a.access_id LIMIT 1))), 0)::float8 AS seconds,
            (SELECT extract(epoch FROM now() - max(created_at))::float8 FROM audit.checkpoints) AS checkpoint_age`,
    [cursors!.et, cursors!.ep, cursors!.at, cursors!.ap],
  )) as { entries: number; seconds: number; checkpoint_age: number | null }[];
  const [deliveries] = (await db.query(
    `SELECT count(*)::int AS pending, COALESCE(extract(epoch FROM now() - min(created_at)), 0)::float8 AS oldest
       FROM integrations.deliveries WHERE status = 'pending'`,
  )) as { pending: number; oldest: number }[];
  const failing = (await db.query(
    `SELECT subscription_id::text AS id, extract(epoch FROM now() - failing_since)::float8 AS seconds
       FROM integrations.subscriptions WHERE enabled AND failing_since IS NOT NULL ORDER BY subscription_id`,
  )) as { id: string; seconds: number }[];
  return {
    projections: projections.map((p) => ({ name: p.name, events: p.events, seconds: Math.max(0, p.seconds) })),
    ledger: { entries: ledger!.entries, seconds: Math.max(0, ledger!.seconds), checkpointAgeSeconds: ledger!.checkpoint_age },
    deliveries: { pending: deliveries!.pending, oldestSeconds: Math.max(0, deliveries!.oldest) },
    failingEndpoints: failing.map((f) => ({ subscriptionId: f.id, seconds: Math.max(0, f.seconds) })),
  };
};
