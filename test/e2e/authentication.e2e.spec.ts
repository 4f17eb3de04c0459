import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type KeyLike } from 'jose';
import { loadConfig } from '@care/config';
import { createApp } from '../../apps/api/src/create-app';
import { http, startTestStack, type TestStack } from '../support/test-stack';

const ISSUER = 'https://idp.test.example/realms/clinic';
const AUDIENCE = 'care-api';

/**
 * The production path of authentication: tokens of an OIDC provider, verified against its JWKS URL
 * (served here by a local HTTP server), issuer and audience from configuration. Every refusal gets
 * the same 401 body, and is written to the access log.
 */
describe('authentication with an OIDC provider (JWKS)', () => {
  let stack: TestStack;
  let jwksServer: Server;
  const jwks: { keys: JWK[] } = { keys: [] };
  let current: { privateKey: KeyLike; kid: string };
  let next: { privateKey: KeyLike; kid: string };
  let intruder: KeyLike;

  const addKey = async (kid: string) => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    jwks.keys.push({ ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' });
    return { privateKey, kid };
  };

  const base = { sub: 'u-ada', name: 'Ada Physician', role: 'physician', site: 'site-a' } as Record<string, unknown>;
  const mint = (
    claims: Record<string, unknown> = {},
    o: { key?: { privateKey: KeyLike; kid: string }; iss?: string; aud?: string; exp?: number | string; nbf?: number; noExp?: boolean } = {},
  ) => {
    const key = o.key ?? current;
    const jwt = new SignJWT({ auth_time: Math.floor(Date.now() / 1000), ...base, ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: key.kid })
      .setIssuer(o.iss ?? ISSUER)
      .setAudience(o.aud ?? AUDIENCE)
      .setIssuedAt();
    if (!o.noExp) jwt.setExpirationTime(o.exp ?? '5m');
    if (o.nbf !== undefined) jwt.setNotBefore(o.nbf);
    return jwt.sign(key.privateKey);
  };
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = () => Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    current = await addKey('key-2026-01');
    next = await addKey('key-2026-07');
    intruder = (await generateKeyPair('RS256')).privateKey;
    jwksServer = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(jwks));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const { port } = jwksServer.address() as AddressInfo;
    stack = await startTestStack({
      env: { AUTH_JWKS_URL: `http://127.0.0.1:${port}/realms/clinic/protocol/openid-connect/certs`, AUTH_PUBLIC_KEY_FILE: '', AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: AUDIENCE },
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await new Promise((resolve) => jwksServer?.close(resolve));
  });

  it('accepts a token of the provider, and one signed with its next key (rotation overlap)', async () => {
    expect((await http(stack.baseUrl, 'GET', '/worklist', { token: await mint() })).status).toBe(200);
    expect((await http(stack.baseUrl, 'GET', '/worklist', { token: await mint({}, { key: next }) })).status).toBe(200);
  });

  it('lets an auditor hold several sites, and refuses a staff token that names more than one', async () => {
    const auditor = await mint({ role: 'auditor', site: ['site-b', 'site-a'] });
    expect((await http(stack.baseUrl, 'GET', '/audit/projections', { token: auditor })).status).toBe(200);
    const staff = await mint({ site: ['site-a', 'site-b'] });
    expect((await http(stack.baseUrl, 'GET', '/worklist', { token: staff })).status).toBe(401);
  });

  it('answers every bad token with the same bare 401 and records each attempt in the access log', async () => {
    const bad: Record<string, () => Promise<string> | string> = {
      expired: () => mint({}, { exp: now() - 120 }),
      'not yet valid': () => mint({}, { nbf: now() + 600 }),
      'wrong issuer': () => mint({}, { iss: 'https://evil.example' }),
      'wrong audience': () => mint({}, { aud: 'another-api' }),
      'alg none': () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...base, iss: ISSUER, aud: AUDIENCE, exp: now() + 300 })}.`,
      'HMAC signed': () => new SignJWT({ ...base }).setProtectedHeader({ alg: 'HS256' }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('5m').sign(new TextEncoder().encode('x'.repeat(32))),
      'bad signature': () => mint({}, { key: { privateKey: intruder, kid: current.kid } }),
      'unknown key id': () => mint({}, { key: { privateKey: intruder, kid: 'key-unknown' } }),
      'no expiry': () => mint({}, { noExp: true }),
      'no printed name': () => mint({ name: undefined }),
      'no site': () => mint({ site: undefined }),
      'system role': () => mint({ role: 'system' }),
      'tampered payload': async () => {
        const [h, , s] = (await mint()).split('.');
        return `${h}.${b64({ ...base, role: 'admin', iss: ISSUER, aud: AUDIENCE, exp: now() + 300 })}.${s}`;
      },
      garbage: () => 'not-a-token',
    };
    const bodies: unknown[] = [];
    const ids: string[] = [];
    for (const [name, token] of Object.entries(bad)) {
      const id = `auth-${name.replace(/\W+/g, '-')}-${Date.now()}`;
      ids.push(id);
      const res = await http(stack.baseUrl, 'GET', '/worklist', { token: await token(), headers: { 'x-request-id': id } });
      expect({ name, status: res.status }).toEqual({ name, status: 401 });
      const { correlationId, ...rest } = res.body;
      expect(correlationId).toBe(id);
      bodies.push(rest);
    }
    const none = await http(stack.baseUrl, 'GET', '/worklist');
    expect(none.status).toBe(401);
    // One generic body: nothing tells an attacker which check failed.
    for (const body of bodies) expect(body).toEqual({ statusCode: 401, code: 'UNAUTHENTICATED', message: 'A valid bearer token is required.' });

    const rows = (await stack.db.query(
      `SELECT actor_id, action, outcome, resource, query FROM audit.access_log WHERE correlation_id = ANY($1)`,
      [ids],
    )) as { actor_id: string; action: string; outcome: string; resource: string; query: { reason: string } }[];
    expect(rows).toHaveLength(ids.length);
    for (const row of rows) expect(row).toMatchObject({ actor_id: 'anonymous', action: 'authenticate', outcome: 'denied', resource: 'GET /worklist' });
    expect(new Set(rows.map((r) => r.query.reason))).toEqual(new Set(['expired', 'not-yet-valid', 'issuer', 'audience', 'algorithm', 'signature', 'claims', 'malformed']));

    // Admins see the failed logins through the API (no token content, just route, reason and time).
    const admin = await mint({ sub: 'u-admin', role: 'admin' });
    let listed: any[] = [];
    for (let i = 0; i < 100 && listed.length < ids.length; i++) {
      listed = ((await http(stack.baseUrl, 'GET', '/audit/denials?limit=500', { token: admin })).body.entries as any[]).filter((e) => ids.includes(e.correlationId));
      if (listed.length < ids.length) await new Promise((r) => setTimeout(r, 200));
    }
    expect(listed).toHaveLength(ids.length);
    expect(listed[0]).toMatchObject({ actor: { id: 'anonymous', siteId: 'none' }, action: 'authenticate', resource: 'GET /worklist' });
  });

  it('answers 503 (retryable), not 401, while the provider\'s key set cannot be fetched', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const config = loadConfig({
      ...process.env,
      AUTH_JWKS_URL: `http://127.0.0.1:${port}/jwks`,
      AUTH_ISSUER: ISSUER,
      AUTH_AUDIENCE: AUDIENCE,
      PAYLOAD_CODEC_KEYS_FILE: stack.config.payloadCodec.keysFile,
      LOG_LEVEL: 'error',
    });
    const app = await createApp(config);
    await app.listen(0, '127.0.0.1');
    try {
      const url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
      const res = await http(url, 'GET', '/worklist', { token: await mint() });
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE', details: { retryable: true } });
    } finally {
      await app.close();
    }
  });

  it('records a 403 in the access log, naming the missing permission in the answer', async () => {
    const res = await http(stack.baseUrl, 'GET', '/audit/events', { token: await mint(), headers: { 'x-request-id': 'denied-physician-audit' } });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: 'PERMISSION_DENIED', details: { permission: 'audit:read' } });
    const [row] = await stack.db.query(`SELECT actor_id, action, outcome FROM audit.access_log WHERE correlation_id = 'denied-physician-audit'`);
    expect(row).toEqual({ actor_id: 'u-ada', action: 'access', outcome: 'denied' });
  });
});

describe('hardening', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ env: { CORS_ALLOWED_ORIGINS: 'http://127.0.0.1:8233' } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('sets security headers and a request id on every answer, and never a stack trace', async () => {
    const res = await http(stack.baseUrl, 'GET', '/courses/x', { token: await stack.token({}) });
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(res.headers.get('strict-transport-security')).toContain('max-age=');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-request-id')).toBeTruthy();
    expect(res.headers.get('x-powered-by')).toBeNull();
    const broken = await http(stack.baseUrl, 'POST', '/courses', { token: await stack.token({}), rawBody: '{"patientRef":' });
    expect(broken.status).toBe(400);
    expect(JSON.stringify(broken.body)).not.toMatch(/at \w+ \(|\.ts:\d+|node_modules/);
  });

  it('allows CORS only for the configured origin', async () => {
    const preflight = (origin: string) =>
      fetch(`${stack.baseUrl}/codec/decode`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
      });
    expect((await preflight('http://127.0.0.1:8233')).headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:8233');
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('limits requests per client with 429 and Retry-After', async () => {
    const config = loadConfig({ ...process.env, ...{ AUTH_PUBLIC_KEY_FILE: stack.config.auth.publicKeyFile!, PAYLOAD_CODEC_KEYS_FILE: stack.config.payloadCodec.keysFile, RATE_LIMIT_PER_MINUTE: '3', LOG_LEVEL: 'error' } });
    const app = await createApp(config);
    await app.listen(0, '127.0.0.1');
    const url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    try {
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await http(url, 'GET', '/health/live')).status);
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      const limited = await http(url, 'GET', '/health/live');
      expect(limited.body).toMatchObject({ statusCode: 429, code: 'RATE_LIMITED' });
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    } finally {
      await app.close();
    }
  });

  it('holds one limit across API instances: the budget is counted in PostgreSQL, not per instance', async () => {
    const config = loadConfig({ ...process.env, ...{ AUTH_PUBLIC_KEY_FILE: stack.config.auth.publicKeyFile!, PAYLOAD_CODEC_KEYS_FILE: stack.config.payloadCodec.keysFile, AUTH_ISSUER: stack.config.auth.issuer, AUTH_AUDIENCE: stack.config.auth.audience, TEMPORAL_TASK_QUEUE: stack.config.temporal.taskQueue, RATE_LIMIT_PER_MINUTE: '5', LOG_LEVEL: 'error' } });
    const apps = [await createApp(config), await createApp(config)];
    const urls: string[] = [];
    for (const app of apps) {
      await app.listen(0, '127.0.0.1');
      urls.push(`http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`);
    }
    const token = await stack.token({ sub: `u-shared-limit-${randomUUID().slice(0, 8)}`, role: 'coordinator', site: 'site-a' });
    try {
      const statuses: number[] = [];
      // Alternately to each instance, as a load balancer would send them.
      for (let i = 0; i < 8; i++) statuses.push((await http(urls[i % 2]!, 'GET', '/protocols', { token })).status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(5);
      expect(statuses.slice(5)).toEqual([429, 429, 429]);
      // A third instance, started after the budget was spent, knows it too.
      const late = await createApp(config);
      await late.listen(0, '127.0.0.1');
      apps.push(late);
      const res = await http(`http://127.0.0.1:${(late.getHttpServer().address() as AddressInfo).port}`, 'GET', '/protocols', { token });
      expect(res.status).toBe(429);
      expect(res.body.code).toBe('RATE_LIMITED');
      // The counters hold no subject in clear.
      const keys = (await stack.db.query(`SELECT key FROM api.rate_limits WHERE key LIKE 'client.5:%'`)) as { key: string }[];
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.map((k) => k.key).join(' ')).not.toContain('u-shared-limit');
    } finally {
      for (const app of apps) await app.close();
    }
  });
});
