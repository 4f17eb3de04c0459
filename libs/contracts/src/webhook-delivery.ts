/** Workflow type name of one delivery of one event to one subscription. */
export const WEBHOOK_DELIVERY_WORKFLOW_TYPE = 'webhookDelivery';

/**
 * Deterministic: the delivery id (subscription + event) and its run (1, then one more per redelivery
 * or recovery), so a relay that crashes or runs twice can never start a run twice.
 */
export const webhookDeliveryWorkflowId = (deliveryId: string, run: number): string => `webhook-${deliveryId}-run-${run}`;

export type WebhookDeliveryInput = {
  deliveryId: string;
  run: number;
  /** Attempts in the retry schedule (the activity's maximumAttempts). */
  maxAttempts: number;
  /** Longest the whole schedule may take, attempts included (the activity's scheduleToCloseTimeout). */
  giveUpAfterMs: number;
  /** The endpoint's timeout per attempt; an attempt whose worker died is retried once this and a margin have passed. */
  attemptTimeoutMs?: number;
};

export type WebhookDeliveryOutcome = { deliveryId: string; run: number; outcome: 'delivered' | 'skipped' | 'failed' };

/** ApplicationFailure types of a delivery attempt that must not be retried. */
export const DELIVERY_FAILURES = {
  /** The endpoint answered 410 Gone: the subscription is disabled. */
  gone: 'EndpointGone',
  /** Every attempt of the schedule failed. */
  exhausted: 'DeliveryExhausted',
  /** The URL can never be delivered to. */
  refused: 'DeliveryRefused',
} as const;

/** What the delivery workflow calls. Workflows import this type only. */
export type WebhookActivities = {
  /**
   * One attempt: signs, posts, logs the attempt. Resolves when delivered (or when the delivery no
   * longer needs sending); throws a retryable failure with the schedule's next delay otherwise.
   */
  attemptDelivery(input: { deliveryId: string; run: number }): Promise<'delivered' | 'skipped'>;
  /** After the last attempt: marks the delivery failed (and disables a long-failing endpoint). */
  recordDeliveryFailed(input: { deliveryId: string; run: number; reason: string }): Promise<void>;
};
