import type { DeliveryError } from './deliver';

/**
 * What to do after one delivery attempt:
 * - `delivered`: any 2xx.
 * - `gone`: 410; the receiver asks us to stop. Do not retry; disable the subscription.
 * - `retry`: everything else that may heal: 3xx (redirects are failures and never followed, or a
 *   receiver could bounce us to an internal address), other 4xx and 5xx, timeouts, network errors.
 *   `throttled` for 429, 502, 503, 504 (the spec's "slow down" answers; honour Retry-After).
 *   `blocked` when the address was refused by the SSRF guard: kept retryable because the answer can
 *   change between attempts (DNS moves, an operator widens the allow-list) and costs no connection,
 *   while a permanently internal endpoint exhausts its schedule and is disabled like any dead one;
 *   flagged so the refusal is logged as such rather than as an outage.
 * - `refused`: the URL itself can never be delivered to (unparseable, not http(s), credentials in
 *   it). Not retryable: the subscription must be corrected.
 */
export type DeliveryClass =
  | { outcome: 'delivered' }
  | { outcome: 'gone' }
  | { outcome: 'retry'; throttled?: true; blocked?: true }
  | { outcome: 'refused' };

export interface DeliveryAttemptResult {
  status?: number;
  error?: Pick<DeliveryError, 'kind'>;
}

const THROTTLING_STATUSES = new Set([429, 502, 503, 504]);

export const classifyDeliveryResponse = ({ status, error }: DeliveryAttemptResult): DeliveryClass => {
  if (error) {
    switch (error.kind) {
      case 'invalid_url':
        return { outcome: 'refused' };
      case 'blocked':
        return { outcome: 'retry', blocked: true };
      case 'timeout':
      case 'network':
        return { outcome: 'retry' };
    }
  }
  if (status === undefined) return { outcome: 'retry' };
  if (status >= 200 && status <= 299) return { outcome: 'delivered' };
  if (status === 410) return { outcome: 'gone' };
  if (THROTTLING_STATUSES.has(status)) return { outcome: 'retry', throttled: true };
  return { outcome: 'retry' };
};
