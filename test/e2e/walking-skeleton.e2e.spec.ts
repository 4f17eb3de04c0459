import { randomUUID } from 'node:crypto';
import { http, startTestStack, type TestStack } from '../support/test-stack';

/**
 * The walking skeleton over HTTP against the real servers: a real PostgreSQL and a real Temporal dev
 * server (started by test/support/global-setup.js), the worker and the API in this process.
 */
describe('walking skeleton (HTTP -> Temporal update -> PostgreSQL)', () => {
  let stack: TestStack;
  let coordinator: string;

  const eventRows = async (courseId: string) =>
    (await stack.db.query('SELECT stream_version, event_type, data, metadata FROM es.events WHERE stream_id = $1 ORDER BY stream_version', [
      `course-${courseId}`,
    ])) as { stream_version: string; event_type: string; data: Record<string, unknown>; metadata: Record<string, any> }[];

  const startCourse = async (body: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
    http(stack.baseUrl, 'POST', '/courses', {
      token: coordinator,
      // A new patient each time unless the test names one (one active course per patient and protocol).
      body: { patientRef: `P-${randomUUID().slice(0, 8)}`, siteId: 'site-a', protocolId: 'mdma-at-ptsd', ...body },
      headers,
    });

  beforeAll(async () => {
    stack = await startTestStack();
    coordinator = await stack.token({});
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('answers liveness and readiness with both servers up', async () => {
    expect((await http(stack.baseUrl, 'GET', '/health/live')).status).toBe(200);
    const ready = await http(stack.baseUrl, 'GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toEqual({ database: 'up', temporal: 'up', workers: 'polling' });
  });

  it('publishes an OpenAPI document listing /courses', async () => {
    const doc = await http(stack.baseUrl, 'GET', '/openapi.json');
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/courses', '/courses/{courseId}/commands']));
  });

  it('refuses requests without a valid token', async () => {
    expect((await http(stack.baseUrl, 'POST', '/courses', { body: {} })).status).toBe(401);
    const forged = await stack.signer.sign(
      { sub: 'x', name: 'X', role: 'coordinator', site: 'site-a' },
      { issuer: 'someone-else' },
    );
    const res = await http(stack.baseUrl, 'GET', '/courses/anything', { token: forged });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('starts a course, records a command and reads both events back from PostgreSQL', async () => {
    const started = await startCourse();
    expect(started.status).toBe(201);
    const courseId: string = started.body.courseId;
    expect(started.body.state).toMatchObject({ status: 'active', siteId: 'site-a', version: 1 });

    const consent = await http(stack.baseUrl, 'POST', `/courses/${courseId}/commands`, {
      token: coordinator,
      headers: { 'x-request-id': 'req-consent-1' },
      body: { type: 'RecordInformedConsent', data: { consentFormVersion: 'v3', consentedAt: new Date().toISOString() } },
    });
    expect(consent.status).toBe(200);
    expect(consent.body.state.version).toBe(2);
    expect(consent.body.events).toHaveLength(1);
    expect(consent.body.events[0]).toMatchObject({ type: 'InformedConsentRecorded', streamVersion: 2 });

    const rows = await eventRows(courseId);
    expect(rows.map((r) => [Number(r.stream_version), r.event_type])).toEqual([
      [1, 'CourseStarted'],
      [2, 'InformedConsentRecorded'],
    ]);
    expect(rows[1]!.metadata).toMatchObject({
      actor: { id: 'u-coord-1', name: 'Casey Coordinator', role: 'coordinator', siteId: 'site-a' },
      correlationId: 'req-consent-1',
    });
    expect(rows[1]!.metadata['occurredAt']).toMatch(/Z$/);

    const state = await http(stack.baseUrl, 'GET', `/courses/${courseId}`, { token: coordinator });
    expect(state.status).toBe(200);
    expect(state.body).toMatchObject({ version: 2, status: 'active' });

    const history = await http(stack.baseUrl, 'GET', `/courses/${courseId}/events`, { token: coordinator });
    expect(history.status).toBe(200);
    expect(history.body.events.map((e: { type: string }) => e.type)).toEqual(['CourseStarted', 'InformedConsentRecorded']);
  });

  it('returns the same course for a repeated Idempotency-Key and 409 for a different body', async () => {
    const key = `start-${Date.now()}-abc`;
    const first = await startCourse({ patientRef: 'P-IDEM-0001' }, { 'idempotency-key': key });
    const again = await startCourse({ patientRef: 'P-IDEM-0001' }, { 'idempotency-key': key });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body.courseId).toBe(first.body.courseId);
    expect(await eventRows(first.body.courseId)).toHaveLength(1);

    const other = await startCourse({ patientRef: 'P-0002' }, { 'idempotency-key': key });
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  describe('error contract, and no event written on any error', () => {
    let courseId: string;
    beforeAll(async () => {
      courseId = (await startCourse()).body.courseId;
    });

    const send = (body: unknown, token = coordinator, id = courseId) =>
      http(stack.baseUrl, 'POST', `/courses/${id}/commands`, { token, body });

    it('400 names the bad field', async () => {
      const res = await send({ type: 'RecordInformedConsent', data: { consentFormVersion: 'v3', consentedAt: 'yesterday', extra: 1 } });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ field: 'data.consentedAt' }),
          expect.objectContaining({ field: 'data.extra' }),
        ]),
      );
      const badStart = await http(stack.baseUrl, 'POST', '/courses', { token: coordinator, body: { siteId: 'site-a', protocolId: 'mdma-at-ptsd', x: 1 } });
      expect(badStart.status).toBe(400);
      expect(badStart.body.errors.map((e: { field: string }) => e.field)).toEqual(expect.arrayContaining(['patientRef', 'x']));
    });

    it('400 for a body that is not JSON', async () => {
      const res = await http(stack.baseUrl, 'POST', `/courses/${courseId}/commands`, { token: coordinator, rawBody: '{"type":' });
      expect(res.status).toBe(400);
    });

    it('422 with a code and a clinician-readable sentence when the protocol refuses', async () => {
      const res = await send({ type: 'RecordEmergencyContact', data: { contactRef: 'EC-1' } });
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('STEP_OUT_OF_ORDER');
      expect(res.body.message).toMatch(/consent/i);
    });

    it('404 for a course at another site and for an unknown course', async () => {
      const elsewhere = await stack.token({ sub: 'u-2', site: 'site-b' });
      expect((await send({ type: 'RecordInformedConsent', data: { consentFormVersion: 'v3', consentedAt: new Date().toISOString() } }, elsewhere)).status).toBe(404);
      expect((await http(stack.baseUrl, 'GET', `/courses/${courseId}`, { token: elsewhere })).status).toBe(404);
      expect((await http(stack.baseUrl, 'GET', `/courses/${courseId}/events`, { token: elsewhere })).status).toBe(404);
      expect((await http(stack.baseUrl, 'GET', '/courses/no-such-course', { token: coordinator })).status).toBe(404);
    });

    it('409 with the current version for a stale expectedVersion', async () => {
      const res = await send({ type: 'RecordInformedConsent', expectedVersion: 0, data: { consentFormVersion: 'v3', consentedAt: new Date().toISOString() } });
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ code: 'VERSION_CONFLICT', details: { currentVersion: 1 } });
    });

    afterAll(async () => {
      // Every request above was refused: the course still holds only its CourseStarted event.
      expect((await eventRows(courseId)).map((r) => r.event_type)).toEqual(['CourseStarted']);
    });
  });
});
