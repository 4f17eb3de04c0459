import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { DataSource } from 'typeorm';
import { WEBHOOK_DELIVERY_WORKFLOW_TYPE, webhookDeliveryWorkflowId, type WebhookDeliveryInput } from '@care/contracts';
import type { SecretBox } from '@care/crypto';
import { runProjection, type Projection } from '@care/event-store';
import { IntegrationsStore, maxRetrySpanMs, WEBHOOK_RETRY_SCHEDULE_SECONDS } from '@care/webhooks';

/** The relay's checkpoint in es.projection_checkpoints (it is not a read model: never rebuilt). */
export const WEBHOOK_RELAY = 'webhook-relay';
const START_BATCH = 200;
const START_CONCURRENCY = 16;

export type WebhookRelayOptions = {
  db: DataSource;
  box: SecretBox;
  client: Client;
  taskQueue: string;
  scheduleSeconds?: readonly number[];
  /** Each attempt's own timeout; part of the give-up time. */
  attemptTimeoutMs: number;
};

/**
 * From the event log to Temporal, without loss or duplicates. Step 1 reads new events in the same
 * xmin-safe order as the projections and, in the transaction that moves its checkpoint, records one
 * delivery per matching subscription (deterministic id: a re-run inserts nothing). Step 2 starts a
 * delivery workflow for every delivery run not started yet, under a deterministic workflow id: a
 * crash between starting and marking it only makes the next round find the run already started.
 */
export class WebhookRelay {
  private readonly projection: Projection;
  private readonly store: IntegrationsStore;
  private readonly input: Omit<WebhookDeliveryInput, 'deliveryId' | 'run'>;

  constructor(private readonly options: WebhookRelayOptions) {
    this.store = new IntegrationsStore(options.db, options.box);
    this.projection = {
      name: WEBHOOK_RELAY,
      apply: async (runner, events) => {
        await new IntegrationsStore(runner, options.box).enqueueDeliveries(events);
      },
      reset: async () => {
        throw new Error('the webhook relay is not a read model and is never rebuilt');
      },
    };
    const schedule = options.scheduleSeconds ?? WEBHOOK_RETRY_SCHEDULE_SECONDS;
    this.input = {
      maxAttempts: schedule.length,
      giveUpAfterMs: maxRetrySpanMs(schedule) + schedule.length * (options.attemptTimeoutMs + 30_000),
      attemptTimeoutMs: options.attemptTimeoutMs,
    };
  }

  /** One round: relay the new events, then start what is waiting. Returns the runs started. */
  async runOnce(): Promise<number> {
    await runProjection(this.options.db, this.projection);
    let started = 0;
    for (;;) {
      const batch = await this.store.deliveriesToStart(START_BATCH);
      // A few starts at a time: one by one, a backlog (a recovery) started about 40 runs per second.
      for (let i = 0; i < batch.length; i += START_CONCURRENCY) {
        await Promise.all(batch.slice(i, i + START_CONCURRENCY).map(({ deliveryId, run }) => this.start(deliveryId, run)));
      }
      started += batch.length;
      if (batch.length < START_BATCH) return started;
    }
  }

  private async start(deliveryId: string, run: number): Promise<void> {
    try {
      await this.options.client.workflow.start(WEBHOOK_DELIVERY_WORKFLOW_TYPE, {
        workflowId: webhookDeliveryWorkflowId(deliveryId, run),
        taskQueue: this.options.taskQueue,
        args: [{ deliveryId, run, ...this.input } satisfies WebhookDeliveryInput],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
    await this.store.markStarted(deliveryId, run);
  }
}
