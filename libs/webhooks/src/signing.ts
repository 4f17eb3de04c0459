import { isUtf8 } from 'node:buffer';
import { timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { assertWebhookSecrets } from './secrets';

/** Receivers accept timestamps this far either side of their clock (the libraries' fixed default). */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

// A type alias, not an interface, so it is assignable to header records (Record<string, string>).
export type WebhookHeaders = {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
};

export interface SignWebhookInput {
  /** Constant across retries of one message: receivers deduplicate on it. */
  id: string;
  /** Time of this attempt; sent as unix seconds. */
  timestamp: Date;
  /** The exact body that will be sent. */
  body: string;
  /** Every currently valid secret of the endpoint (new and old during a rotation). */
  secrets: readonly string[];
}

/**
 * The three Standard Webhooks headers. One `v1,<base64>` entry per secret, space-separated, so a
 * receiver that still holds the old secret, or already holds the new one, verifies during a rotation
 * (the library's `sign` returns a single entry; the list is ours).
 */
export const signWebhook = ({ id, timestamp, body, secrets }: SignWebhookInput): WebhookHeaders => {
  assertWebhookSecrets(secrets);
  if (!/^[\x21-\x7e]{1,256}$/.test(id)) throw new TypeError('webhook id must be 1-256 printable ASCII characters without spaces');
  if (Number.isNaN(timestamp.getTime())) throw new TypeError('webhook timestamp is not a valid date');
  const signatures = [...new Set(secrets)].map((secret) => new Webhook(secret).sign(id, timestamp, body));
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': signatures.join(' '),
  };
};

export type WebhookVerification = { ok: true } | { ok: false; reason: 'missing_headers' | 'stale_timestamp' | 'bad_signature' };

/** Node's `IncomingHttpHeaders` fits, as does any plain record; names are matched case-insensitively. */
export type ReceivedHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

export interface VerifyWebhookInput {
  /** The raw request bytes as received (capture them before any JSON parsing). */
  body: Buffer | string;
  headers: ReceivedHeaders;
  /** The receiver's valid secrets; during a rotation both the old and the new one. */
  secrets: readonly string[];
  /** The receiver's clock; defaults to now. */
  now?: Date;
}

/**
 * Verifies a Standard Webhooks request against each secret. The reason is for access logs only:
 * answer the sender with a bare 401 whatever it is.
 *
 * The HMAC comes from the library's `Webhook.sign`, but the comparison is done here rather than by
 * `Webhook.verify`, because `verify` (1) reads `Date.now()` itself, so `now` could not be honoured,
 * (2) JSON-parses the body after a match by default and throws a SyntaxError on a non-JSON body,
 * (3) reports why only through message strings. The spec test checks that both agree on fresh
 * timestamps. Two more receiver traps handled here: the library turns a Buffer into a string as
 * UTF-8, so distinct invalid byte sequences would verify alike (a non-UTF-8 body is refused), and it
 * parses the timestamp with `parseInt` ("123abc" passes; here only canonical digits do).
 */
export const verifyWebhook = ({ body, headers, secrets, now = new Date() }: VerifyWebhookInput): WebhookVerification => {
  assertWebhookSecrets(secrets);
  const received = lowerCaseKeys(headers);
  const id = single(received['webhook-id']);
  const timestamp = single(received['webhook-timestamp']);
  const signature = joined(received['webhook-signature']);
  if (!id || !timestamp || !signature || !/^(0|[1-9]\d{0,11})$/.test(timestamp)) return { ok: false, reason: 'missing_headers' };

  const seconds = Number(timestamp);
  if (Math.abs(Math.floor(now.getTime() / 1000) - seconds) > WEBHOOK_TOLERANCE_SECONDS) return { ok: false, reason: 'stale_timestamp' };
  if (Buffer.isBuffer(body) && !isUtf8(body)) return { ok: false, reason: 'bad_signature' };

  const offered = signature
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    // Node joins repeated headers with ", ": base64 has no comma, so a trailing one is a separator.
    .map((entry) => Buffer.from(entry.slice('v1,'.length).replace(/,$/, '')));
  for (const secret of secrets) {
    const expected = Buffer.from(new Webhook(secret).sign(id, new Date(seconds * 1000), body).slice('v1,'.length));
    if (offered.some((candidate) => candidate.length === expected.length && timingSafeEqual(candidate, expected))) return { ok: true };
  }
  return { ok: false, reason: 'bad_signature' };
};

const lowerCaseKeys = (headers: ReceivedHeaders): Record<string, string | readonly string[] | undefined> => {
  const out: Record<string, string | readonly string[] | undefined> = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
};

/** A header that must appear once: a repeated id or timestamp is treated as missing. */
const single = (value: string | readonly string[] | undefined): string | undefined => {
  if (typeof value === 'string') return value.trim() || undefined;
  return value?.length === 1 ? value[0]?.trim() || undefined : undefined;
};

/** Signature entries may arrive split over repeated headers; they are one space-separated list. */
const joined = (value: string | readonly string[] | undefined): string | undefined => {
  const text = typeof value === 'string' ? value : value?.join(' ');
  return text?.trim() || undefined;
};
