import { randomBytes } from 'node:crypto';

/** Standard Webhooks marks symmetric (HMAC) secrets with this prefix. */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/** The spec allows 24 to 64 random bytes; the official test vector uses 24. */
const MIN_SECRET_BYTES = 24;
const MAX_SECRET_BYTES = 64;
const GENERATED_SECRET_BYTES = 32;

/** A new endpoint secret: `whsec_` + standard base64 of 32 random bytes. Show it to the owner once. */
export const generateWebhookSecret = (): string =>
  `${WEBHOOK_SECRET_PREFIX}${randomBytes(GENERATED_SECRET_BYTES).toString('base64')}`;

/**
 * True for `whsec_` + canonical standard base64 (padding included) of 24 to 64 bytes. Strict on purpose:
 * the signing library decodes leniently, and a secret that only "mostly" decodes would sign with a
 * key nobody else can reproduce.
 */
export const isWebhookSecret = (value: unknown): value is string => {
  if (typeof value !== 'string' || !value.startsWith(WEBHOOK_SECRET_PREFIX)) return false;
  const encoded = value.slice(WEBHOOK_SECRET_PREFIX.length);
  if (encoded.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) return false;
  const key = Buffer.from(encoded, 'base64');
  return key.toString('base64') === encoded && key.length >= MIN_SECRET_BYTES && key.length <= MAX_SECRET_BYTES;
};

/** Throws (without echoing the value) unless every entry is a well-formed secret. */
export const assertWebhookSecrets = (secrets: readonly string[]): void => {
  if (secrets.length === 0) throw new TypeError('at least one webhook secret is required');
  secrets.forEach((secret, index) => {
    if (!isWebhookSecret(secret)) throw new TypeError(`webhook secret #${index + 1} is not whsec_ + base64 of 24-64 bytes`);
  });
};
