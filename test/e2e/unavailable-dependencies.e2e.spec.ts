import type { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '@care/config';
import { createDataSource, EventStore, runMigrations } from '@care/event-store';
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
    // The default task queue has no worker in this suite either.
    expect(ready.body.details.checks).toEqual({ database: 'down', temporal: 'up', workers: 'none' });
    const res = await http(baseUrl, 'POST', '/courses', { token, body: { patientRef: 'P-1', siteId: 'site-a', protocolId: 'mdma-at-ptsd' } });
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE', details: { retryable: true } });
    // The receipt could not be written, so nothing was sent: the command id is still given for the retry.
    expect(res.headers.get('command-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('no worker polling: readiness 503 naming the workers', async () => {
    const { baseUrl } = await boot({ TEMPORAL_TASK_QUEUE: `nobody-polls-${randomUUID()}` });
    const ready = await http(baseUrl, 'GET', '/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.details.checks).toEqual({ database: 'up', temporal: 'up', workers: 'none' });
  });

  it('Temporal down: readiness 503 naming Temporal, commands 503 and retryable', async () => {
    const { baseUrl, token } = await boot({ TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}` });
    const ready = await http(baseUrl, 'GET', '/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.details.checks).toEqual({ database: 'up', temporal: 'down', workers: 'none' });
    // A course whose record exists (written here directly: no workflow can start without Temporal).
    const db = await createDataSource(process.env['DATABASE_URL']!, 2).initialize();
    await runMigrations(db);
    const courseId = `down-${randomUUID()}`;
    await new EventStore(db).append(`course-${courseId}`, 'course', 0, [
      {
        type: 'CourseStarted',
        schemaVersion: 1,
        data: { courseId, patientRef: 'P-DOWN', siteId: 'site-a', protocolId: 'mdma-at-ptsd', protocolVersion: 1 },
        metadata: { actor: { id: 'u-1', name: 'Casey', role: 'coordinator', siteId: 'site-a' }, occurredAt: new Date().toISOString(), correlationId: 'down' },
      },
    ]);
    await db.destroy();
    const res = await http(baseUrl, 'POST', `/courses/${courseId}/commands`, {
      token,
      body: { type: 'RecordInformedConsent', data: { consentFormVersion: 'v3', consentedAt: new Date().toISOString() } },
    });
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE', details: { retryable: true, commandId: res.headers.get('command-id') } });
    // Whether the command reached Temporal is not known, and the answer does not pretend otherwise.
    expect(res.body.message).not.toMatch(/nothing was recorded/i);
    // Reads come from the record, so the course is readable without Temporal.
    const state = await http(baseUrl, 'GET', `/courses/${courseId}`, { token });
    expect(state.status).toBe(200);
    expect(state.body).toMatchObject({ courseId, status: 'active', version: 1 });
  });
});
