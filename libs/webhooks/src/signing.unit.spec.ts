import fc from 'fast-check';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { generateWebhookSecret } from './secrets';
import { signWebhook, verifyWebhook, WEBHOOK_TOLERANCE_SECONDS } from './signing';

// The vector every official Standard Webhooks library tests against.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

const secondsAgo = (s: number): Date => new Date(Date.now() - s * 1000);

describe('signWebhook / verifyWebhook', () => {
  const oldSecret = generateWebhookSecret();
  const newSecret = generateWebhookSecret();
  const body = JSON.stringify({ type: 'dose.administered', timestamp: '2026-01-01T00:00:00Z', data: { id: 'evt_1' } });

  it('reproduces the official vector exactly (sign output; the timestamp is far outside any tolerance)', () => {
    const headers = signWebhook({ id: VECTOR.id, timestamp: new Date(VECTOR.timestamp * 1000), body: VECTOR.body, secrets: [VECTOR.secret] });
    expect(headers).toEqual({ 'webhook-id': VECTOR.id, 'webhook-timestamp': String(VECTOR.timestamp), 'webhook-signature': VECTOR.signature });
    expect(new Webhook(VECTOR.secret).sign(VECTOR.id, new Date(VECTOR.timestamp * 1000), VECTOR.body)).toBe(VECTOR.signature);
  });

  it('verifies the vector at its own time, and calls it stale on the real clock', () => {
    const headers = { 'webhook-id': VECTOR.id, 'webhook-timestamp': String(VECTOR.timestamp), 'webhook-signature': VECTOR.signature };
    expect(verifyWebhook({ body: VECTOR.body, headers, secrets: [VECTOR.secret], now: new Date(VECTOR.timestamp * 1000 + 60_000) })).toEqual({ ok: true });
    expect(verifyWebhook({ body: VECTOR.body, headers, secrets: [VECTOR.secret] })).toEqual({ ok: false, reason: 'stale_timestamp' });
    // The trap: the library's verify reads Date.now() and cannot be told otherwise.
    expect(() => new Webhook(VECTOR.secret).verify(VECTOR.body, headers)).toThrow('Message timestamp too old');
  });

  it('a fresh signature verifies here and with the library itself', () => {
    const headers = signWebhook({ id: 'msg_fresh', timestamp: new Date(), body, secrets: [newSecret] });
    expect(verifyWebhook({ body, headers, secrets: [newSecret] })).toEqual({ ok: true });
    expect(verifyWebhook({ body: Buffer.from(body), headers, secrets: [newSecret] })).toEqual({ ok: true });
    expect(new Webhook(newSecret).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it('rotation: two entries, and a receiver holding only the old or only the new secret verifies', () => {
    const headers = signWebhook({ id: 'msg_rot', timestamp: new Date(), body, secrets: [newSecret, oldSecret] });
    const entries = headers['webhook-signature'].split(' ');
    expect(entries).toHaveLength(2);
    entries.forEach((e) => expect(e).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/));
    expect(verifyWebhook({ body, headers, secrets: [oldSecret] })).toEqual({ ok: true });
    expect(verifyWebhook({ body, headers, secrets: [newSecret] })).toEqual({ ok: true });
    expect(() => new Webhook(oldSecret).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(newSecret).verify(body, headers)).not.toThrow();
    expect(verifyWebhook({ body, headers, secrets: [generateWebhookSecret()] })).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('a receiver holding both secrets accepts a sender that signs with either one', () => {
    for (const secret of [oldSecret, newSecret]) {
      const headers = signWebhook({ id: 'msg_r2', timestamp: new Date(), body, secrets: [secret] });
      expect(verifyWebhook({ body, headers, secrets: [newSecret, oldSecret] })).toEqual({ ok: true });
    }
  });

  it('a tampered body, id or timestamp fails', () => {
    const headers = signWebhook({ id: 'msg_t', timestamp: secondsAgo(10), body, secrets: [newSecret] });
    expect(verifyWebhook({ body: body.replace('evt_1', 'evt_2'), headers, secrets: [newSecret] })).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifyWebhook({ body: `${body} `, headers, secrets: [newSecret] })).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifyWebhook({ body, headers: { ...headers, 'webhook-id': 'msg_u' }, secrets: [newSecret] })).toEqual({ ok: false, reason: 'bad_signature' });
    const shifted = String(Number(headers['webhook-timestamp']) + 1);
    expect(verifyWebhook({ body, headers: { ...headers, 'webhook-timestamp': shifted }, secrets: [newSecret] })).toEqual({ ok: false, reason: 'bad_signature' });
    const flipped = headers['webhook-signature'].replace(/^v1,./, (m) => m.slice(0, -1) + (m.endsWith('A') ? 'B' : 'A'));
    expect(verifyWebhook({ body, headers: { ...headers, 'webhook-signature': flipped }, secrets: [newSecret] })).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('stale or future timestamps fail even with a valid signature; inside the window passes', () => {
    const at = (date: Date) => verifyWebhook({ body, headers: signWebhook({ id: 'msg_s', timestamp: date, body, secrets: [newSecret] }), secrets: [newSecret] });
    expect(at(secondsAgo(WEBHOOK_TOLERANCE_SECONDS + 60))).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(at(secondsAgo(-(WEBHOOK_TOLERANCE_SECONDS + 60)))).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(at(secondsAgo(WEBHOOK_TOLERANCE_SECONDS - 30))).toEqual({ ok: true });
    expect(at(secondsAgo(-(WEBHOOK_TOLERANCE_SECONDS - 30)))).toEqual({ ok: true });
  });

  it('missing or malformed headers', () => {
    const headers = signWebhook({ id: 'msg_m', timestamp: new Date(), body, secrets: [newSecret] });
    for (const name of Object.keys(headers)) {
      const rest = Object.fromEntries(Object.entries(headers).filter(([n]) => n !== name));
      expect(verifyWebhook({ body, headers: rest, secrets: [newSecret] })).toEqual({ ok: false, reason: 'missing_headers' });
      expect(verifyWebhook({ body, headers: { ...rest, [name]: '' }, secrets: [newSecret] })).toEqual({ ok: false, reason: 'missing_headers' });
    }
    for (const ts of [`${headers['webhook-timestamp']}abc`, `0${headers['webhook-timestamp']}`, '-5', '1e9', ' ']) {
      expect(verifyWebhook({ body, headers: { ...headers, 'webhook-timestamp': ts }, secrets: [newSecret] })).toEqual({ ok: false, reason: 'missing_headers' });
    }
    expect(verifyWebhook({ body, headers: { ...headers, 'webhook-id': ['msg_m', 'msg_m'] }, secrets: [newSecret] })).toEqual({ ok: false, reason: 'missing_headers' });
  });

  it('matches header names case-insensitively and takes signature entries split over repeated headers', () => {
    const headers = signWebhook({ id: 'msg_c', timestamp: new Date(), body, secrets: [newSecret, oldSecret] });
    const [first, second] = headers['webhook-signature'].split(' ');
    const upper = { 'Webhook-Id': headers['webhook-id'], 'WEBHOOK-TIMESTAMP': headers['webhook-timestamp'], 'Webhook-Signature': [first!, second!] };
    expect(verifyWebhook({ body, headers: upper, secrets: [oldSecret] })).toEqual({ ok: true });
    // node:http joins repeated unknown headers with ", ".
    expect(verifyWebhook({ body, headers: { ...headers, 'webhook-signature': `${first}, ${second}` }, secrets: [newSecret] })).toEqual({ ok: true });
  });

  it('ignores entries of other versions (v1a) and garbage around the valid one', () => {
    const headers = signWebhook({ id: 'msg_v', timestamp: new Date(), body, secrets: [newSecret] });
    const signature = `v1a,${Buffer.alloc(64).toString('base64')} junk v1,AAAA ${headers['webhook-signature']}`;
    expect(verifyWebhook({ body, headers: { ...headers, 'webhook-signature': signature }, secrets: [newSecret] })).toEqual({ ok: true });
    expect(verifyWebhook({ body, headers: { ...headers, 'webhook-signature': 'v1a,xyz v2,abc' }, secrets: [newSecret] })).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('verifies a non-JSON body (the library verify would throw SyntaxError on it by default)', () => {
    const text = 'not json at all';
    const headers = signWebhook({ id: 'msg_j', timestamp: new Date(), body: text, secrets: [newSecret] });
    expect(verifyWebhook({ body: text, headers, secrets: [newSecret] })).toEqual({ ok: true });
    expect(() => new Webhook(newSecret).verify(text, headers)).toThrow(SyntaxError);
  });

  it('refuses a body that is not valid UTF-8: the library would verify two different byte strings alike', () => {
    const a = Buffer.from([0x7b, 0xff, 0x7d]);
    const b = Buffer.from([0x7b, 0xfe, 0x7d]);
    const headers = signWebhook({ id: 'msg_u8', timestamp: new Date(), body: a.toString(), secrets: [newSecret] });
    expect(() => new Webhook(newSecret).verify(a, headers, { jsonParse: false })).not.toThrow();
    expect(() => new Webhook(newSecret).verify(b, headers, { jsonParse: false })).not.toThrow();
    expect(verifyWebhook({ body: a, headers, secrets: [newSecret] })).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses bad signing input without echoing secrets', () => {
    const ok = { id: 'msg_x', timestamp: new Date(), body, secrets: [newSecret] };
    expect(() => signWebhook({ ...ok, secrets: [] })).toThrow(/at least one/);
    expect(() => signWebhook({ ...ok, secrets: ['whsec_tooShort'] })).toThrow(/secret #1/);
    expect(() => signWebhook({ ...ok, secrets: ['whsec_tooShort'] })).not.toThrow(/tooShort/);
    expect(() => signWebhook({ ...ok, id: 'msg with space' })).toThrow(/webhook id/);
    expect(() => signWebhook({ ...ok, id: 'msg\r\nx-evil: 1' })).toThrow(/webhook id/);
    expect(() => signWebhook({ ...ok, timestamp: new Date(Number.NaN) })).toThrow(/valid date/);
    expect(() => verifyWebhook({ body, headers: {}, secrets: [] })).toThrow(/at least one/);
  });

  it('agrees with the library verify on fresh timestamps (random bodies, ids, secrets, tampering)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 200 }),
        fc.stringMatching(/^msg_[A-Za-z0-9]{1,24}$/),
        fc.integer({ min: -240, max: 240 }),
        fc.constantFrom('none', 'body', 'id', 'secret'),
        (payload, id, offset, tamper) => {
          const secret = generateWebhookSecret();
          const headers = signWebhook({ id, timestamp: secondsAgo(offset), body: payload, secrets: [secret] });
          const receivedBody = tamper === 'body' ? `${payload}x` : payload;
          const receivedHeaders = tamper === 'id' ? { ...headers, 'webhook-id': `${id}x` } : headers;
          const receiverSecret = tamper === 'secret' ? generateWebhookSecret() : secret;
          let libraryOk = true;
          try {
            new Webhook(receiverSecret).verify(receivedBody, receivedHeaders, { jsonParse: false });
          } catch (error) {
            expect(error).toBeInstanceOf(WebhookVerificationError);
            libraryOk = false;
          }
          const ours = verifyWebhook({ body: Buffer.from(receivedBody), headers: receivedHeaders, secrets: [receiverSecret] });
          expect(ours.ok).toBe(libraryOk);
          expect(ours.ok).toBe(tamper === 'none');
        },
      ),
      { numRuns: 200 },
    );
  });
});
