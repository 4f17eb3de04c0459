import type { INestApplication } from '@nestjs/common';
import { loadConfig } from '@care/config';
import { freePort } from '../support/free-port';
import { createApp } from '../../apps/api/src/create-app';
import { createTestSigner } from '../support/dev-keys';
import { http } from '../support/test-stack';

/**
 * With PostgreSQL or Temporal unreachable the API still starts, reports 503 from /health/ready, and
 * answers writes with a retryable 503 instead of hanging or half-writing.
 */
describe('API with a dependency down', () => {
  const apps: INestApplication[] = [];
  afterAll(async () => {
    for (const app of apps) await app.close();
  });

  const boot = async (overrides: Record<string, string>) => {
    const signer = await createTestSigner(`${process.env['CARE_TEST_WORK_DIR']}/keys-down-${Math.random()}`, 'iss', 'aud');
    const config = loadConfig({ ...process.env, AUTH_PUBLIC_KEY_FILE: signer.publicKeyFile, AUTH_ISSUER: 'iss', AUTH_AUDIENCE: 'aud', ...overrides });
    const app = await createApp(config);
    apps.push(app);
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as { port: number };
    const token = await signer.sign({ sub: 'u-1', name: 'Casey', role: 'coordinator', site: 'site-a' });
    return { baseUrl: `http://127.0.0.1:${port}`, token };
  };

  it('PostgreSQL down: readiness 503 naming the database, writes 503 and retryable', async () => {
    const { baseUrl, token } = await boot({ DATABASE_URL: `postgres://postgres@127.0.0.1:${await freePort()}/care` });
    const ready = await http(baseUrl, 'GET', '/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.details.checks).toEqual({ database: 'down', temporal: 'up' });
    const res = await http(baseUrl, 'POST', '/courses', { token, body: { patientRef: 'P-1', siteId: 'site-a', protocolId: 'mdma-at-ptsd' } });
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE', details: { retryable: true } });
  });

  it('Temporal down: readiness 503 naming Temporal, commands 503 and retryable', async () => {
    const { baseUrl, token } = await boot({ TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}` });
    const ready = await http(baseUrl, 'GET', '/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.details.checks).toEqual({ database: 'up', temporal: 'down' });
    const res = await http(baseUrl, 'POST', '/courses/some-course/commands', {
      token,
      body: { type: 'RecordInformedConsent', data: { consentFormVersion: 'v3', consentedAt: '2026-01-05T08:30:00Z' } },
    });
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('SERVICE_UNAVAILABLE');
  });
});
