import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import { DELIVERY_FAILURES, type WebhookActivities, type WebhookDeliveryInput, type WebhookDeliveryOutcome } from '@care/contracts';

const { recordDeliveryFailed } = proxyActivities<WebhookActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/**
 * One delivery of one event to one subscription. Its single activity carries the whole retry
 * schedule: each failed attempt names the delay before the next (`nextRetryDelay`), so the history
 * stays a handful of events however many attempts it takes, and a slow or dead endpoint only holds
 * a timer, never a worker slot another endpoint needs.
 */
export async function webhookDelivery(input: WebhookDeliveryInput): Promise<WebhookDeliveryOutcome> {
  const { attemptDelivery } = proxyActivities<WebhookActivities>({
    // The attempt's own timeout (15 s by default) plus a margin for reading the record and logging it.
    startToCloseTimeout: (input.attemptTimeoutMs ?? 15_000) + 10_000,
    scheduleToCloseTimeout: input.giveUpAfterMs,
    retry: {
      maximumAttempts: input.maxAttempts,
      // Used only when an attempt dies without saying (the worker crashed): the activity names every other delay.
      initialInterval: '5 seconds',
      backoffCoefficient: 2,
      maximumInterval: '2 days',
      nonRetryableErrorTypes: Object.values(DELIVERY_FAILURES),
    },
  });
  try {
    const outcome = await attemptDelivery({ deliveryId: input.deliveryId, run: input.run });
    return { deliveryId: input.deliveryId, run: input.run, outcome };
  } catch (error) {
    const cause = error instanceof ActivityFailure ? error.cause : undefined;
    const reason = cause instanceof ApplicationFailure && cause.type ? cause.type : 'DeliveryExhausted';
    await recordDeliveryFailed({ deliveryId: input.deliveryId, run: input.run, reason });
    return { deliveryId: input.deliveryId, run: input.run, outcome: 'failed' };
  }
}
