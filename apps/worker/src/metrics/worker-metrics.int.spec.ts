import { randomUUID } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import { CheckpointSigner, EventStore, integrateLedger, PROJECTIONS, runProjection, type NewEvent } from '@care/event-store';
import { freshDatabase } from '../../../../libs/event-store/src/testing/fresh-database';
import { WorkerMetrics } from './worker-metrics';

const actor = { id: 'u-1', name: 'Casey Coordinator', role: 'coordinator', siteId: 'site-a' };
const started = (n: number): NewEvent => ({
  type: 'CourseStarted',
  schemaVersion: 1,
  data: { courseId: `c${n}`, patientRef: `P-METRIC-${n}`, siteId: 'site-a', protocolId: 'mdma-at-ptsd', protocolVersion: 1 },
  metadata: { actor, occurredAt: '2026-01-05T08:00:00.000Z', correlationId: 'c' },
});

/** The value of one sample (with exactly these labels, or none); undefined when absent. */
const sample = (text: string, name: string, labels = ''): number | undefined => {
  const match = new RegExp(`^${name}${labels ? `\\{${labels}\\}` : ''} (\\S+)$`, 'm').exec(text);
  return match ? Number(match[1]) : undefined;
};

/** The worker's backlog gauges read the real tables: what is behind, and how old it is. */
describe('worker metrics: backlogs read from PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let clock = 0;
  let metrics: WorkerMetrics;
  beforeAll(async () => {
    db = await freshDatabase();
    metrics = new WorkerMetrics({ db: async () => db.owner, clock: () => clock });
  });
  afterAll(async () => db?.drop());

  /** A scrape past the backlog cache. */
  const scrape = async () => {
    clock += 10_000;
    return metrics.metrics();
  };

  it('counts events not yet projected or in the ledger, then zero once both ran', async () => {
    const store = new EventStore(db.owner);
    for (let n = 1; n <= 3; n++) await store.append(`course-${n}`, 'course', 0, [started(n)]);
    await new Promise((r) => setTimeout(r, 1100));

    const before = await scrape();
    expect(sample(before, 'care_worker_projection_lag_events', 'projection="course-summary"')).toBe(3);
    expect(sample(before, 'care_worker_projection_lag_seconds', 'projection="course-summary"')).toBeGreaterThanOrEqual(1);
    expect(sample(before, 'care_worker_webhook_outbox_backlog_events')).toBe(3);
    expect(sample(before, 'care_worker_ledger_lag_entries')).toBe(3);
    expect(sample(before, 'care_worker_ledger_lag_seconds')).toBeGreaterThanOrEqual(1);
    // No checkpoint yet: not a number rather than a made-up age.
    expect(sample(before, 'care_worker_ledger_checkpoint_age_seconds')).toBeNaN();
    expect(sample(before, 'care_worker_polling')).toBe(0);

    // The horizon is the whole cluster's: another suite's open transaction may hold events back a moment.
    const signer = CheckpointSigner.fromFile(path.join(os.tmpdir(), `metrics-ledger-${randomUUID()}.pem`), true);
    let after = '';
    for (const end = Date.now() + 30_000; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
      for (const p of PROJECTIONS) await runProjection(db.owner, p);
      await integrateLedger(db.owner, signer, { origin: 'metrics-test' });
      after = await scrape();
      if (sample(after, 'care_worker_ledger_lag_entries') === 0 && sample(after, 'care_worker_projection_lag_events', 'projection="course-summary"') === 0) break;
    }
    for (const p of PROJECTIONS) {
      expect(sample(after, 'care_worker_projection_lag_events', `projection="${p.name}"`)).toBe(0);
      expect(sample(after, 'care_worker_projection_lag_seconds', `projection="${p.name}"`)).toBe(0);
    }
    expect(sample(after, 'care_worker_ledger_lag_entries')).toBe(0);
    expect(sample(after, 'care_worker_ledger_checkpoint_age_seconds')).toBeGreaterThanOrEqual(0);
    // The relay did not run: its backlog stays.
    expect(sample(after, 'care_worker_webhook_outbox_backlog_events')).toBe(3);
    expect(after).not.toMatch(/P-METRIC|course-\d|Casey/);
  });

  it('reports pending deliveries, the oldest one\'s age, and each failing endpoint by subscription id only', async () => {
    const subscriptionId = randomUUID();
    await db.owner.query(
      `INSERT INTO integrations.subscriptions (subscription_id, site_id, url, event_types, secrets, created_by, failing_since)
       VALUES ($1, 'site-a', 'https://clinic.example/hook', '{course.started}', '[]', 'u-1', now() - interval '2 hours')`,
      [subscriptionId],
    );
    await db.owner.query(
      `INSERT INTO integrations.deliveries (delivery_id, subscription_id, event_id, global_position, course_id, site_id, event_type, payload, status, created_at)
       VALUES ('d-1', $1, $2, 1, 'course-1', 'site-a', 'course.started', '{}', 'pending', now() - interval '30 minutes'),
              ('d-2', $1, $3, 2, 'course-2', 'site-a', 'course.started', '{}', 'delivered', now() - interval '3 hours')`,
      [subscriptionId, randomUUID(), randomUUID()],
    );
    const text = await scrape();
    expect(sample(text, 'care_worker_webhook_deliveries_pending')).toBe(1);
    expect(sample(text, 'care_worker_webhook_oldest_undelivered_seconds')).toBeGreaterThanOrEqual(1800);
    expect(sample(text, 'care_worker_webhook_oldest_undelivered_seconds')).toBeLessThan(3 * 3600);
    expect(sample(text, 'care_worker_webhook_endpoint_failing_seconds', `subscription="${subscriptionId}"`)).toBeGreaterThanOrEqual(7200);
    expect(text).not.toContain('clinic.example');

    metrics.reportPollingFrom(() => true);
    expect(sample(await scrape(), 'care_worker_polling')).toBe(1);
  });

  it('counts appends and delivery attempts by outcome words only', async () => {
    metrics.appendDuration.observe({ outcome: 'stored' }, 0.004);
    metrics.deliveryAttempts.inc({ outcome: 'throttled' });
    const text = await scrape();
    expect(sample(text, 'care_worker_append_duration_seconds_count', 'outcome="stored"')).toBe(1);
    expect(sample(text, 'care_worker_webhook_delivery_attempts_total', 'outcome="throttled"')).toBe(1);
    expect(text).toMatch(/^care_worker_process_resident_memory_bytes \d+/m);
  });

  it('still answers when PostgreSQL cannot be read, saying the backlog figures are old', async () => {
    const broken = new WorkerMetrics({ db: async () => Promise.reject(new Error('connection refused')) });
    const text = await broken.metrics();
    expect(sample(text, 'care_worker_backlog_read_ok')).toBe(0);
    expect(sample(text, 'care_worker_polling')).toBe(0);
  });
});
