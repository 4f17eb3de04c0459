import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DELIVERY_FAILURES } from '@care/contracts';
import { parseAllowedNetworks, type Delivery, type IntegrationsStore, type Subscription } from '@care/webhooks';
import { createWebhookActivities } from './webhook-delivery.activities';

const DAY = 86_400_000;

/** An in-memory stand-in for the store: one subscription, one delivery, the calls the activity makes. */
const fakeStore = (url: string, failingSince: string | null) => {
  const calls: { disabled: string[]; attempts: unknown[] } = { disabled: [], attempts: [] };
  const subscription = { subscriptionId: 'sub-1', url, enabled: true, failingSince } as Subscription;
  const delivery = { deliveryId: 'dlv_1', subscriptionId: 'sub-1', status: 'pending', runs: 1, payload: { type: 'course.started', timestamp: 't', data: {} } } as unknown as Delivery;
  const store = {
    getDelivery: async () => delivery,
    getSubscription: async () => subscription,
    subscriptionSecrets: async () => ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
    recordAttempt: async (a: unknown) => {
      calls.attempts.push(a);
      return { attempt: calls.attempts.length, failingSince };
    },
    disableSubscription: async (_id: string, reason: string) => {
      calls.disabled.push(reason);
      return true;
    },
    markDeliverySkipped: async () => undefined,
  } as unknown as IntegrationsStore;
  return { store, calls };
};

describe('webhook delivery attempts', () => {
  let server: http.Server;
  let base = '';
  let status = 500;
  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      res.writeHead(status);
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const attempt = async (opts: { attempt: number; failingSince?: string | null; now?: Date }) => {
    const { store, calls } = fakeStore(`${base}/hook`, opts.failingSince ?? null);
    const activities = createWebhookActivities({
      store,
      allowedNetworks: parseAllowedNetworks('127.0.0.1/32'),
      timeoutMs: 2000,
      disableAfterMs: 5 * DAY,
      ...(opts.now ? { clock: () => opts.now! } : {}),
    });
    const env = new MockActivityEnvironment({ attempt: opts.attempt });
    const outcome = await env.run(activities.attemptDelivery, { deliveryId: 'dlv_1', run: 1 }).then(
      (value) => ({ value }),
      (error: unknown) => ({ error: error as ApplicationFailure }),
    );
    return { outcome, calls };
  };

  it('asks Temporal to retry after the Standard Webhooks delay of the next attempt', async () => {
    status = 500;
    const { outcome } = await attempt({ attempt: 3 });
    const error = (outcome as { error: ApplicationFailure }).error;
    expect(error.nonRetryable).toBeFalsy();
    // After the third attempt comes the fourth, 30 minutes later (+-20 % jitter).
    const delay = Number(error.nextRetryDelay);
    expect(delay).toBeGreaterThanOrEqual(0.8 * 1_800_000);
    expect(delay).toBeLessThanOrEqual(1.2 * 1_800_000);
  });

  it('gives up after the tenth attempt', async () => {
    status = 503;
    const { outcome } = await attempt({ attempt: 10 });
    expect((outcome as { error: ApplicationFailure }).error).toMatchObject({ type: DELIVERY_FAILURES.exhausted, nonRetryable: true });
  });

  it('disables the subscription on 410 Gone, without retrying', async () => {
    status = 410;
    const { outcome, calls } = await attempt({ attempt: 1 });
    expect((outcome as { error: ApplicationFailure }).error).toMatchObject({ type: DELIVERY_FAILURES.gone, nonRetryable: true });
    expect(calls.disabled).toEqual(['the endpoint answered 410 Gone']);
  });

  it('disables an endpoint failing for five days, and not one failing for four', async () => {
    status = 500;
    const now = new Date('2026-12-10T12:00:00Z');
    const fourDays = await attempt({ attempt: 2, failingSince: new Date(now.getTime() - 4 * DAY).toISOString(), now });
    expect(fourDays.calls.disabled).toEqual([]);
    const fiveDays = await attempt({ attempt: 2, failingSince: new Date(now.getTime() - 5 * DAY).toISOString(), now });
    expect(fiveDays.calls.disabled).toEqual(['the endpoint failed for too long']);
  });

  it('reports a delivery on 2xx and logs the attempt', async () => {
    status = 204;
    const { outcome, calls } = await attempt({ attempt: 1 });
    expect(outcome).toEqual({ value: 'delivered' });
    expect(calls.attempts).toEqual([expect.objectContaining({ statusCode: 204, delivered: true })]);
  });
});
