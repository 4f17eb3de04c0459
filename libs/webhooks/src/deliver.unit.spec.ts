// Delivery against real node:http servers on 127.0.0.1 (port 0). No PostgreSQL or Temporal, hence a
// unit-tier file name.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { Agent, request } from 'undici';
import { classifyDeliveryResponse } from './classify-response';
import { type DeliveryResult, postWebhook } from './deliver';
import { nextRetryDelayMs, parseRetryAfter } from './retry-schedule';
import { generateWebhookSecret } from './secrets';
import { signWebhook } from './signing';
import { BlockedAddressError, createGuardedDispatcher, parseAllowedNetworks } from './ssrf-guard';

jest.setTimeout(10_000);

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  remoteAddress: string | undefined;
  verified: unknown;
}

interface TestServer {
  port: number;
  received: Received[];
  connections: () => number;
  close: () => Promise<void>;
}

const startServer = async (route: (path: string, res: http.ServerResponse, body: Buffer, headers: http.IncomingHttpHeaders) => unknown): Promise<TestServer> => {
  const received: Received[] = [];
  let connections = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const verified = route(req.url ?? '', res, body, req.headers);
      received.push({ path: req.url ?? '', headers: req.headers, body: body.toString(), remoteAddress: req.socket.remoteAddress, verified });
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

const LOCAL = parseAllowedNetworks('127.0.0.1/32,::1/128');
const MARKER = 'PHI-MARKER-7f3a';
const secret = generateWebhookSecret();
const oldSecret = generateWebhookSecret();
const body = JSON.stringify({ type: 'dose.administered', timestamp: new Date().toISOString(), data: { id: 'evt_1', note: MARKER } });
const signed = () => signWebhook({ id: 'msg_deliver_1', timestamp: new Date(), body, secrets: [secret, oldSecret] });

/** Everything undici is about to connect to, to prove that a refusal made no connection attempt. */
const connectAttempts: string[] = [];
const onBeforeConnect = (message: unknown): void => {
  const { connectParams } = message as { connectParams: { hostname: string; port: string } };
  connectAttempts.push(`${connectParams.hostname}:${connectParams.port}`);
};

describe('postWebhook against a real HTTP server', () => {
  let receiver: TestServer;
  let target: TestServer;
  const endless: { closed: boolean; bytesWritten: number } = { closed: false, bytesWritten: 0 };

  beforeAll(async () => {
    subscribe('undici:client:beforeConnect', onBeforeConnect);
    target = await startServer((_path, res) => res.end('should never be reached'));
    receiver = await startServer((path, res, raw, headers) => {
      switch (path) {
        case '/ok': {
          // The receiver verifies with the standardwebhooks library directly, with the old secret.
          let verified: unknown;
          try {
            verified = new Webhook(oldSecret).verify(raw, headers as Record<string, string>);
          } catch (error) {
            verified = String(error);
          }
          res.end('ok');
          return verified;
        }
        case '/500':
          return res.writeHead(500).end(`boom ${MARKER}`);
        case '/410':
          return res.writeHead(410).end('gone');
        case '/429':
          return res.writeHead(429, { 'retry-after': '2' }).end('slow down');
        case '/hang':
          return undefined;
        case '/redirect':
          return res.writeHead(302, { location: `http://127.0.0.1:${target.port}/target` }).end();
        case '/big':
          return res.writeHead(200, { 'content-type': 'text/plain' }).end('a'.repeat(10_000));
        case '/utf8':
          return res.writeHead(200).end(`a${'é'.repeat(600)}`);
        case '/endless': {
          res.writeHead(200);
          const chunk = Buffer.alloc(16 * 1024, 0x62);
          const timer = setInterval(() => {
            endless.bytesWritten += chunk.length;
            res.write(chunk);
          }, 5);
          res.on('close', () => {
            clearInterval(timer);
            endless.closed = true;
          });
          return undefined;
        }
        default:
          return res.writeHead(404).end();
      }
    });
  });

  afterAll(async () => {
    unsubscribe('undici:client:beforeConnect', onBeforeConnect);
    await receiver.close();
    await target.close();
  });

  beforeEach(() => {
    connectAttempts.length = 0;
  });

  const url = (path: string, host = '127.0.0.1') => `http://${host}:${receiver.port}${path}`;
  const post = (u: string, extra: Partial<Parameters<typeof postWebhook>[0]> = {}) =>
    postWebhook({ url: u, body, headers: signed(), allowedNetworks: LOCAL, ...extra });
  const received = (path: string) => receiver.received.filter((r) => r.path === path);
  const expectNoBodyInError = (result: DeliveryResult) => expect(result.error?.message ?? '').not.toContain(MARKER);

  it('200: delivered, and the receiver verifies the signature with the library (old secret, rotation)', async () => {
    const result = await post(url('/ok'));
    expect(result).toMatchObject({ status: 200, responseExcerpt: 'ok' });
    expect(result.error).toBeUndefined();
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(classifyDeliveryResponse(result)).toEqual({ outcome: 'delivered' });
    const [got] = received('/ok');
    expect(got!.verified).toEqual(JSON.parse(body));
    expect(got!.body).toBe(body);
    expect(got!.headers['content-type']).toBe('application/json');
    expect(got!.headers['webhook-id']).toBe('msg_deliver_1');
    expect((got!.headers['webhook-signature'] as string).split(' ')).toHaveLength(2);
  });

  it('500: retry, excerpt kept', async () => {
    const result = await post(url('/500'));
    expect(result).toMatchObject({ status: 500, responseExcerpt: `boom ${MARKER}` });
    expect(classifyDeliveryResponse(result)).toEqual({ outcome: 'retry' });
  });

  it('410: gone', async () => {
    const result = await post(url('/410'));
    expect(result.status).toBe(410);
    expect(classifyDeliveryResponse(result)).toEqual({ outcome: 'gone' });
  });

  it('429 with Retry-After: 2 is a throttled retry; the header parses and feeds the schedule', async () => {
    const result = await post(url('/429'));
    expect(result).toMatchObject({ status: 429, retryAfter: '2' });
    expect(classifyDeliveryResponse(result)).toEqual({ outcome: 'retry', throttled: true });
    const retryAfterSeconds = parseRetryAfter(result.retryAfter, new Date());
    expect(retryAfterSeconds).toBe(2);
    expect(nextRetryDelayMs(1, { retryAfterSeconds, random: () => 0.5 })).toBe(5000);
  });

  it('a server that never answers: timeout after timeoutMs', async () => {
    const started = Date.now();
    const result = await post(url('/hang'), { timeoutMs: 300 });
    const took = Date.now() - started;
    expect(result.error).toEqual({ kind: 'timeout', message: `127.0.0.1:${receiver.port}: no complete answer within 300 ms` });
    expect(result.status).toBeUndefined();
    expect(took).toBeGreaterThanOrEqual(280);
    expect(took).toBeLessThan(3000);
    expect(received('/hang')).toHaveLength(1);
    expect(classifyDeliveryResponse(result)).toEqual({ outcome: 'retry' });
    expectNoBodyInError(result);
  });

  it('302: returned as a failure, never followed (the target receives nothing)', async () => {
    const result = await post(url('/redirect'));
    expect(result.status).toBe(302);
    expect(classifyDeliveryResponse(result)).toEqual({ outcome: 'retry' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(target.connections()).toBe(0);
    expect(target.received).toHaveLength(0);
    expect(received('/target')).toHaveLength(0);
  });

  it('a long body is cut to the first 1 kB', async () => {
    const result = await post(url('/big'));
    expect(result.status).toBe(200);
    expect(result.responseExcerpt).toBe('a'.repeat(1024));
    expect((await post(url('/big'), { maxResponseBytes: 10 })).responseExcerpt).toBe('aaaaaaaaaa');
    expect((await post(url('/big'), { maxResponseBytes: 0 })).responseExcerpt).toBe('');
  });

  it('does not split a multi-byte character at the limit', async () => {
    const result = await post(url('/utf8'));
    expect(result.responseExcerpt).toBe(`a${'é'.repeat(511)}`);
    expect(Buffer.byteLength(result.responseExcerpt)).toBe(1023);
  });

  it('an endless body: reads 1 kB, then drops the stream (the server sees the connection close)', async () => {
    const result = await post(url('/endless'), { timeoutMs: 2000 });
    expect(result.status).toBe(200);
    expect(result.responseExcerpt).toBe('b'.repeat(1024));
    for (let i = 0; i < 100 && !endless.closed; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(endless.closed).toBe(true);
  });

  it('http://127.0.0.1 with no allowed networks: blocked before any connection', async () => {
    const before = receiver.connections();
    const result = await post(url('/ok'), { allowedNetworks: [] });
    expect(result.error).toEqual({ kind: 'blocked', message: '127.0.0.1: not in the allowed networks (required for http)' });
    expect(classifyDeliveryResponse(result)).toEqual({ outcome: 'retry', blocked: true });
    expect(receiver.connections()).toBe(before);
    expect(connectAttempts).toEqual([]);
    expectNoBodyInError(result);
  });

  it('http://localhost is refused unless loopback is allowed; then it is delivered', async () => {
    const before = receiver.connections();
    const blocked = await post(url('/ok', 'localhost'), { allowedNetworks: [] });
    expect(blocked.error?.kind).toBe('blocked');
    expect(blocked.error?.message).toMatch(/^localhost refused: 127\.0\.0\.1 \(not in the allowed networks/);
    expect(receiver.connections()).toBe(before);
    expectNoBodyInError(blocked);
    // Only 10/8 allowed: still refused.
    expect((await post(url('/ok', 'localhost'), { allowedNetworks: parseAllowedNetworks('10.0.0.0/8') })).error?.kind).toBe('blocked');
    expect(receiver.connections()).toBe(before);

    for (const allowed of ['127.0.0.1/32', '127.0.0.1/32,::1/128']) {
      const ok = await post(url('/ok', 'localhost'), { allowedNetworks: parseAllowedNetworks(allowed) });
      expect(ok).toMatchObject({ status: 200, responseExcerpt: 'ok' });
    }
  });

  it('https://localhost with no allowed networks: the resolved address is refused, no TCP connection', async () => {
    const before = receiver.connections();
    const result = await post(`https://localhost:${receiver.port}/ok`, { allowedNetworks: [] });
    expect(result.error).toEqual({ kind: 'blocked', message: 'localhost refused: 127.0.0.1 (loopback)' });
    expect(receiver.connections()).toBe(before);
  });

  it('https://10.0.0.1/ is refused without any connection attempt', async () => {
    const result = await post('https://10.0.0.1/', { allowedNetworks: [] });
    expect(result.error).toEqual({ kind: 'blocked', message: '10.0.0.1: private' });
    expect(connectAttempts).toEqual([]);
    expect(result.latencyMs).toBeLessThan(100);
  });

  it.each(['http://[::ffff:127.0.0.1]:PORT/ok', 'http://2130706433:PORT/ok', 'http://0x7f.1:PORT/ok', 'http://[::7f00:1]:PORT/ok', 'http://0:PORT/ok'])(
    '%s is refused, the receiver gets nothing',
    async (template) => {
      const before = receiver.connections();
      const result = await post(template.replace('PORT', String(receiver.port)), { allowedNetworks: [] });
      expect(result.error?.kind).toBe('blocked');
      expect(receiver.connections()).toBe(before);
      expect(connectAttempts).toEqual([]);
    },
  );

  it('unusable URLs are refused for good', async () => {
    for (const bad of ['ftp://127.0.0.1/', 'not a url', `http://user:pw@127.0.0.1:${receiver.port}/ok`]) {
      const result = await post(bad);
      expect(result.error?.kind).toBe('invalid_url');
      expect(classifyDeliveryResponse(result)).toEqual({ outcome: 'refused' });
    }
    expect(connectAttempts).toEqual([]);
  });

  it('a refused connection is a network error, retried', async () => {
    const closed = await startServer(() => undefined);
    const port = closed.port;
    await closed.close();
    const result = await post(`http://127.0.0.1:${port}/`);
    expect(result.error?.kind).toBe('network');
    expect(result.error?.message).toContain('ECONNREFUSED');
    expect(classifyDeliveryResponse(result)).toEqual({ outcome: 'retry' });
    expectNoBodyInError(result);
  });

  it('reuses a long-lived guarded dispatcher passed in', async () => {
    const dispatcher = createGuardedDispatcher(LOCAL);
    try {
      const before = receiver.connections();
      for (let i = 0; i < 3; i++) expect((await post(url('/ok'), { dispatcher })).status).toBe(200);
      // undici may open a second socket while the first is still finishing its response; not three.
      expect(receiver.connections() - before).toBeLessThan(3);
    } finally {
      await dispatcher.close();
    }
  });

  it('several allowed addresses go to Node as a list (autoSelectFamily) and it falls back to the one listening', async () => {
    const dispatcher = createGuardedDispatcher(LOCAL, {
      resolve: (_hostname, _options, callback) =>
        callback(null, [
          { address: '::1', family: 6 },
          { address: '127.0.0.1', family: 4 },
        ]),
    });
    try {
      expect((await post(`http://dual.test:${receiver.port}/ok`, { dispatcher, timeoutMs: 5000 })).status).toBe(200);
    } finally {
      await dispatcher.close();
    }
  });

  it('a resolver that never answers still ends in a timeout', async () => {
    const dispatcher = createGuardedDispatcher(LOCAL, { resolve: () => undefined });
    try {
      const result = await post(`http://never.test:${receiver.port}/ok`, { dispatcher, timeoutMs: 300 });
      expect(result.error?.kind).toBe('timeout');
    } finally {
      await dispatcher.destroy();
    }
  });

  it('a name resolving to refused and allowed addresses connects only to the allowed one, resolved once', async () => {
    let calls = 0;
    const dispatcher = createGuardedDispatcher(LOCAL, {
      resolve: (_hostname, _options, callback) => {
        calls++;
        callback(null, [
          { address: '10.0.0.1', family: 4 },
          { address: '169.254.169.254', family: 4 },
          { address: '127.0.0.1', family: 4 },
        ]);
      },
    });
    try {
      const result = await post(`http://mixed.test:${receiver.port}/ok`, { dispatcher });
      expect(result.status).toBe(200);
      expect(calls).toBe(1);
      expect(receiver.received.at(-1)!.remoteAddress).toBe('127.0.0.1');
    } finally {
      await dispatcher.close();
    }
  });
});

describe('the guarded dispatcher on its own', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer((_path, res) => res.end('reached'));
  });
  afterAll(() => server.close());

  it('the trap: an Agent with only connect.lookup lets IP literals through (Node never calls lookup for them)', async () => {
    let lookups = 0;
    const naive = new Agent({
      connect: {
        lookup: (_hostname, _options, callback) => {
          lookups++;
          callback(new Error('refused by lookup'), []);
        },
      },
    });
    try {
      const response = await request(`http://127.0.0.1:${server.port}/`, { dispatcher: naive });
      expect(await response.body.text()).toBe('reached');
      expect(lookups).toBe(0);
    } finally {
      await naive.close();
    }
  });

  it('refuses IP literals itself, even when the URL check is bypassed', async () => {
    const dispatcher = createGuardedDispatcher([]);
    const before = server.connections();
    try {
      for (const host of ['127.0.0.1', '[::ffff:127.0.0.1]']) {
        await expect(request(`http://${host}:${server.port}/`, { dispatcher })).rejects.toBeInstanceOf(BlockedAddressError);
        await expect(request(`https://${host}:${server.port}/`, { dispatcher })).rejects.toBeInstanceOf(BlockedAddressError);
      }
      await expect(request(`http://localhost:${server.port}/`, { dispatcher })).rejects.toBeInstanceOf(BlockedAddressError);
      expect(server.connections()).toBe(before);
    } finally {
      await dispatcher.destroy();
    }
  });

  it('plain http to a public literal is refused at the connector too (http only into the allowed networks)', async () => {
    const dispatcher = createGuardedDispatcher(LOCAL);
    try {
      await expect(request('http://8.8.8.8:9/', { dispatcher })).rejects.toMatchObject({ code: 'ERR_WEBHOOK_BLOCKED_ADDRESS', hostname: '8.8.8.8' });
    } finally {
      await dispatcher.destroy();
    }
  });
});
