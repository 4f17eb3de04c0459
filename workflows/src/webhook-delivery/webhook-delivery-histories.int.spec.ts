import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { DELIVERY_FAILURES, WEBHOOK_DELIVERY_WORKFLOW_TYPE, webhookDeliveryWorkflowId, type WebhookActivities, type WebhookDeliveryInput } from '@care/contracts';
import { bundleCourseWorkflows } from '../../../apps/worker/src/workflow-bundle';
import { workflowSinks } from '../../../apps/worker/src/create-worker';

const HISTORIES = path.join(__dirname, 'histories');

/**
 * The delivery workflow on the real dev server with stand-in activities: one run delivered after two
 * failed attempts, one that gives up after the schedule. Each run is replayed against today's code;
 * with CAPTURE_HISTORIES=1 the histories are saved for the server-less replay test.
 */
describe('webhook delivery histories', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await TestWorkflowEnvironment.createFromExistingServer({ address: process.env['TEMPORAL_ADDRESS'] });
  });
  afterAll(async () => env?.teardown());

  const scenarios: { name: string; failUntil: number; expected: string }[] = [
    { name: 'delivered-after-retries', failUntil: 3, expected: 'delivered' },
    { name: 'exhausted', failUntil: Number.POSITIVE_INFINITY, expected: 'failed' },
  ];

  it.each(scenarios)('$name: runs, keeps a short history and replays deterministically', async ({ name, failUntil, expected }) => {
    const taskQueue = `delivery-replay-${randomUUID()}`;
    let attempts = 0;
    const failed: string[] = [];
    const activities: WebhookActivities = {
      async attemptDelivery() {
        attempts += 1;
        if (attempts >= failUntil) return 'delivered';
        if (attempts >= 3) throw ApplicationFailure.create({ type: DELIVERY_FAILURES.exhausted, message: 'last attempt failed (HTTP 500)', nonRetryable: true });
        throw ApplicationFailure.create({ type: 'DeliveryAttemptFailed', message: `attempt ${attempts} failed (HTTP 500)`, nextRetryDelay: 100 });
      },
      async recordDeliveryFailed({ reason }) {
        failed.push(reason);
      },
    };
    const workflowBundle = await bundleCourseWorkflows();
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle, activities, sinks: workflowSinks() });
    const deliveryId = `dlv_${randomUUID().replace(/-/g, '')}`;
    const input: WebhookDeliveryInput = { deliveryId, run: 1, maxAttempts: 3, giveUpAfterMs: 60_000, attemptTimeoutMs: 1000 };
    const handle = await worker.runUntil(async () => {
      const h = await env.client.workflow.start(WEBHOOK_DELIVERY_WORKFLOW_TYPE, { workflowId: webhookDeliveryWorkflowId(deliveryId, 1), taskQueue, args: [input] });
      expect(await h.result()).toEqual({ deliveryId, run: 1, outcome: expected });
      return h;
    });
    expect(attempts).toBe(3);
    expect(failed).toEqual(expected === 'failed' ? [DELIVERY_FAILURES.exhausted] : []);
    const history = await handle.fetchHistory();
    // Retries live inside the one activity: the history stays a handful of events.
    expect(history.events!.length).toBeLessThan(20);
    await Worker.runReplayHistory({ workflowBundle, sinks: workflowSinks() }, history, handle.workflowId);
    if (process.env['CAPTURE_HISTORIES'] === '1') {
      fs.mkdirSync(HISTORIES, { recursive: true });
      fs.writeFileSync(path.join(HISTORIES, `${name}.json`), historyToJSON(history));
    }
  }, 60_000);
});
