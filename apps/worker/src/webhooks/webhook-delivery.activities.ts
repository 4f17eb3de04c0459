import { activityInfo, ApplicationFailure, log } from '@temporalio/activity';
import { DELIVERY_FAILURES, type WebhookActivities } from '@care/contracts';
import {
  classifyDeliveryResponse,
  nextRetryDelayMs,
  parseRetryAfter,
  postWebhook,
  signWebhook,
  WEBHOOK_RETRY_SCHEDULE_SECONDS,
  type AllowedNetworks,
  type IntegrationsStore,
} from '@care/webhooks';

export type WebhookDeliveryDeps = {
  store: IntegrationsStore;
  allowedNetworks: AllowedNetworks;
  /** Seconds before each attempt; the Standard Webhooks schedule unless a test shortens it. */
  scheduleSeconds?: readonly number[];
  timeoutMs: number;
  /** An endpoint failing this long is disabled. */
  disableAfterMs: number;
  clock?: () => Date;
  /** Told how each attempt ended (the worker's metrics). */
  countAttempt?: (outcome: 'delivered' | 'retry' | 'throttled' | 'blocked' | 'gone' | 'refused') => void;
};

/**
 * Delivery attempts. Everything an attempt needs is read from PostgreSQL inside the attempt (the
 * subscription's URL and secrets, the payload), so no secret and no payload passes through
 * Temporal's history, and an admin's change of URL or secret applies to the next attempt.
 */
export const createWebhookActivities = (deps: WebhookDeliveryDeps): WebhookActivities => {
  const schedule = deps.scheduleSeconds ?? WEBHOOK_RETRY_SCHEDULE_SECONDS;
  const now = deps.clock ?? (() => new Date());

  /** Disables an endpoint whose failures have lasted longer than allowed (checked at every failure). */
  const disableIfFailingTooLong = async (subscriptionId: string, failingSince: string | null): Promise<void> => {
    if (failingSince && now().getTime() - Date.parse(failingSince) >= deps.disableAfterMs) {
      await deps.store.disableSubscription(subscriptionId, 'the endpoint failed for too long', { failingSince });
    }
  };

  return {
    async attemptDelivery({ deliveryId, run }) {
      const delivery = await deps.store.getDelivery(deliveryId);
      // A newer run (redelivery) took over, or it was delivered meanwhile: nothing to send.
      if (!delivery || delivery.runs !== run || delivery.status !== 'pending') return 'skipped';
      const subscription = await deps.store.getSubscription(delivery.subscriptionId);
      if (!subscription || !subscription.enabled) {
        await deps.store.markDeliverySkipped(deliveryId);
        return 'skipped';
      }
      const secrets = await deps.store.subscriptionSecrets(subscription.subscriptionId);
      const body = JSON.stringify(delivery.payload);
      const attemptedAt = now();
      // webhook-id is the delivery id, constant across retries: receivers deduplicate on it.
      const headers = signWebhook({ id: deliveryId, timestamp: attemptedAt, body, secrets });
      const result = await postWebhook({ url: subscription.url, body, headers: { ...headers }, allowedNetworks: deps.allowedNetworks, timeoutMs: deps.timeoutMs });
      const verdict = classifyDeliveryResponse(result);
      deps.countAttempt?.(verdict.outcome === 'retry' ? (verdict.blocked ? 'blocked' : verdict.throttled ? 'throttled' : 'retry') : verdict.outcome);
      const { attempt, failingSince } = await deps.store.recordAttempt({
        deliveryId,
        subscriptionId: subscription.subscriptionId,
        run,
        attemptedAt,
        statusCode: result.status ?? null,
        error: result.error ? `${result.error.kind}: ${result.error.message}` : null,
        latencyMs: result.latencyMs,
        responseExcerpt: result.responseExcerpt || null,
        delivered: verdict.outcome === 'delivered',
      });
      if (verdict.outcome === 'delivered') return 'delivered';
      if (verdict.outcome === 'gone') {
        await deps.store.disableSubscription(subscription.subscriptionId, 'the endpoint answered 410 Gone', { deliveryId, attempt });
        throw ApplicationFailure.create({ type: DELIVERY_FAILURES.gone, message: 'the endpoint answered 410 Gone', nonRetryable: true });
      }
      if (verdict.outcome === 'refused') {
        throw ApplicationFailure.create({ type: DELIVERY_FAILURES.refused, message: 'the subscription URL cannot be delivered to', nonRetryable: true });
      }
      if (verdict.blocked) log.warn('Webhook delivery refused by the SSRF guard', { deliveryId, subscriptionId: subscription.subscriptionId });
      await disableIfFailingTooLong(subscription.subscriptionId, failingSince);
      const delay = nextRetryDelayMs(activityInfo().attempt, {
        scheduleSeconds: schedule,
        ...(verdict.throttled ? { retryAfterSeconds: parseRetryAfter(result.retryAfter, attemptedAt) } : {}),
      });
      const what = result.status !== undefined ? `HTTP ${result.status}` : (result.error?.kind ?? 'no answer');
      if (delay === null) throw ApplicationFailure.create({ type: DELIVERY_FAILURES.exhausted, message: `last attempt failed (${what})`, nonRetryable: true });
      throw ApplicationFailure.create({ type: 'DeliveryAttemptFailed', message: `attempt ${attempt} failed (${what})`, nextRetryDelay: delay });
    },

    async recordDeliveryFailed({ deliveryId, reason }) {
      await deps.store.markDeliveryFailed(deliveryId);
      const delivery = await deps.store.getDelivery(deliveryId);
      if (delivery) {
        await deps.store.recordOperationalEvent(delivery.subscriptionId, 'message.attempt.exhausted', { deliveryId, reason, attempts: delivery.attempts });
        const subscription = await deps.store.getSubscription(delivery.subscriptionId);
        if (subscription) await disableIfFailingTooLong(subscription.subscriptionId, subscription.failingSince);
      }
    },
  };
};
