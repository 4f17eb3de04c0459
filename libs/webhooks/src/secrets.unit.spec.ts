import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { assertWebhookSecrets, generateWebhookSecret, isWebhookSecret } from './secrets';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** 32 bytes whose last base64 character has its unused low bits set: Buffer decodes it, it is not canonical. */
const nonCanonical = (): string => {
  const canonical = randomBytes(32).toString('base64');
  const last = ALPHABET.indexOf(canonical[42]!);
  return `whsec_${canonical.slice(0, 42)}${ALPHABET[last | 1]}=`;
};

describe('webhook secrets', () => {
  it('generates whsec_ + base64 of 32 random bytes, different every time, usable by the library', () => {
    const a = generateWebhookSecret();
    const b = generateWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(a.slice(6), 'base64')).toHaveLength(32);
    expect(a).not.toBe(b);
    expect(isWebhookSecret(a)).toBe(true);
    expect(new Webhook(a).sign('msg_1', new Date(), '{}')).toMatch(/^v1,/);
  });

  it('accepts the official vector secret (24 bytes) and 64 bytes', () => {
    expect(isWebhookSecret('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')).toBe(true);
    expect(isWebhookSecret(`whsec_${randomBytes(64).toString('base64')}`)).toBe(true);
  });

  it.each([
    ['no prefix', randomBytes(32).toString('base64')],
    ['another prefix', `whsk_${randomBytes(32).toString('base64')}`],
    ['too short', `whsec_${randomBytes(16).toString('base64')}`],
    ['too long', `whsec_${randomBytes(65).toString('base64')}`],
    ['base64url alphabet', 'whsec_' + '-_'.repeat(16)],
    ['missing padding', `whsec_${randomBytes(32).toString('base64').replace(/=+$/, '')}`],
    ['non-canonical trailing bits', nonCanonical()],
    ['whitespace', `whsec_ ${randomBytes(32).toString('base64')}`],
    ['empty', 'whsec_'],
    ['not a string', 42],
  ])('refuses %s', (_label, value) => {
    expect(isWebhookSecret(value)).toBe(false);
  });

  it('assertWebhookSecrets names the bad entry by position, never by value', () => {
    const bad = 'whsec_short';
    expect(() => assertWebhookSecrets([generateWebhookSecret(), bad])).toThrow(/secret #2/);
    expect(() => assertWebhookSecrets([bad])).not.toThrow(new RegExp(bad));
    expect(() => assertWebhookSecrets([])).toThrow(/at least one/);
  });
});
