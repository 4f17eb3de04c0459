import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { startApiProcess } from '../support/api-process';
import { http, startTestStack, type TestStack } from '../support/test-stack';

/**
 * SIGTERM to an API process: readiness turns 503 at once while it keeps serving for the drain delay,
 * then it accepts no new connection, and a command already in flight still gets its answer (and is
 * recorded once) before the process ends.
 */
describe('graceful shutdown of the API', () => {
  let stack: TestStack;
  let api: { child: ChildProcess; baseUrl: string };

  beforeAll(async () => {
    stack = await startTestStack();
    api = await startApiProcess(stack, { SHUTDOWN_DRAIN_DELAY_MS: '1500', COMMAND_ANSWER_TIMEOUT_MS: '30000' });
  });
  afterAll(async () => {
    if (api?.child.exitCode === null && api.child.signalCode === null) api.child.kill('SIGKILL');
    await stack?.stop();
  });

  it('stops taking work, lets the command in flight finish and answer, then exits', async () => {
    const coordinator = await stack.token({ sub: 'u-drain', role: 'coordinator', site: 'site-a' });
    const started = await http(api.baseUrl, 'POST', '/courses', { token: coordinator, body: { patientRef: `P-DRAIN-${randomUUID().slice(0, 6)}`, siteId: 'site-a', protocolId: 'mdma-at-ptsd' } });
    expect(started.status).toBe(201);
    const courseId = started.body.courseId as string;
    expect((await http(api.baseUrl, 'GET', '/health/ready')).status).toBe(200);

    // No worker: the command waits in the API for its workflow's answer.
    await stack.stopWorker();
    const inFlight = http(api.baseUrl, 'POST', `/courses/${courseId}/commands`, {
      token: coordinator,
      body: { type: 'RecordInformedConsent', data: { consentFormVersion: 'v3', consentedAt: new Date().toISOString() } },
    });
    await new Promise((r) => setTimeout(r, 500));
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => api.child.once('exit', (code, signal) => resolve({ code, signal })));
    api.child.kill('SIGTERM');

    // During the drain delay: still answering, but not ready.
    await new Promise((r) => setTimeout(r, 300));
    const draining = await http(api.baseUrl, 'GET', '/health/ready');
    expect(draining.status).toBe(503);
    expect(draining.body).toMatchObject({ code: 'NOT_READY', details: { draining: true, retryable: true } });

    // After it: no new connection.
    await new Promise((r) => setTimeout(r, 2000));
    await expect(fetch(`${api.baseUrl}/health/live`)).rejects.toThrow();

    // The worker is back: the command in flight completes and its answer reaches the client.
    await stack.startWorker();
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(answer.body.events.map((e: { type: string }) => e.type)).toContain('InformedConsentRecorded');
    expect(await exited).toEqual({ code: null, signal: 'SIGTERM' });

    const events = (await stack.db.query(`SELECT event_type FROM es.events WHERE stream_id = $1 AND event_type = 'InformedConsentRecorded'`, [`course-${courseId}`])) as unknown[];
    expect(events).toHaveLength(1);
  });
});
