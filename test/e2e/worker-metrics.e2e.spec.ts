import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { freePort } from '../support/free-port';
import { http, startTestStack, type TestStack } from '../support/test-stack';
import { startWorkerProcess } from '../support/worker-process';

/**
 * The compiled worker process with WORKER_METRICS_PORT: our metrics and the Temporal runtime's own on
 * one scrape, counting what the worker did, with nothing personal in them.
 */
describe('worker metrics (the worker process)', () => {
  let stack: TestStack;
  let worker: ChildProcess;
  let metricsUrl: string;
  const patientRef = `P-WMETRICS-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    stack = await startTestStack();
    await stack.stopWorker();
    const port = await freePort();
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    worker = await startWorkerProcess({
      DATA_DIR: fs.mkdtempSync(path.join(process.env['CARE_TEST_WORK_DIR'] ?? '/tmp', 'metrics-worker-')),
      TEMPORAL_TASK_QUEUE: stack.config.temporal.taskQueue,
      PAYLOAD_CODEC_KEYS_FILE: stack.config.payloadCodec.keysFile,
      WORKER_METRICS_PORT: String(port),
      WORKER_TEMPORAL_METRICS_PORT: String(await freePort()),
      // The relay's checkpoint is the whole database's: the webhook suite owns it.
      WEBHOOK_RELAY: 'off',
    });
  });
  afterAll(async () => {
    if (worker && worker.exitCode === null) {
      worker.kill('SIGTERM');
      await new Promise((r) => worker.once('exit', r));
    }
    await stack?.stop();
  });

  const sample = (text: string, name: string, labels = '') =>
    Number(new RegExp(`^${name}${labels ? `\\{${labels}\\}` : ''} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);

  it("serves its own figures and the Temporal runtime's, counts appends, and names no patient, course or person", async () => {
    const coordinator = await stack.token({ sub: 'u-wmetrics', name: 'Wim Workerson', role: 'coordinator', site: 'site-a' });
    const started = await http(stack.baseUrl, 'POST', '/courses', { token: coordinator, body: { patientRef, siteId: 'site-a', protocolId: 'mdma-at-ptsd' } });
    expect(started.status).toBe(201);
    const courseId = started.body.courseId as string;
    const consent = await http(stack.baseUrl, 'POST', `/courses/${courseId}/commands`, {
      token: coordinator,
      body: { type: 'RecordInformedConsent', data: { consentFormVersion: 'v3', consentedAt: new Date().toISOString() } },
    });
    expect(consent.status).toBe(200);

    const res = await fetch(metricsUrl);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(sample(text, 'care_worker_polling')).toBe(1);
    expect(sample(text, 'care_worker_append_duration_seconds_count', 'outcome="stored"')).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'care_worker_backlog_read_ok')).toBe(1);
    for (const name of ['care_worker_projection_lag_events', 'care_worker_ledger_lag_entries', 'care_worker_webhook_deliveries_pending']) {
      expect(text).toContain(`# TYPE ${name} gauge`);
    }
    // Temporal's runtime metrics, installed before the worker connected.
    expect(text).toMatch(/^temporal_\w+/m);
    expect(text).toMatch(/^temporal_workflow_task_execution_latency\w*\{/m);
    for (const secret of [patientRef, courseId, 'u-wmetrics', 'Wim', 'Workerson']) expect(text).not.toContain(secret);
  });
});
