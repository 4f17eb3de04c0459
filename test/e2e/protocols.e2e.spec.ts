import { http, startTestStack, type TestStack } from '../support/test-stack';

/** The protocol is readable over the API, and a step it does not have is said to be so. */
describe('protocols over the API', () => {
  let stack: TestStack;
  let token: string;
  beforeAll(async () => {
    stack = await startTestStack();
    token = await stack.token({ sub: 'u-proto', site: 'site-a' });
  });
  afterAll(async () => stack?.stop());

  it('lists every protocol with its versions, newest last', async () => {
    const res = await http(stack.baseUrl, 'GET', '/protocols', { token });
    expect(res.status).toBe(200);
    expect(res.body.protocols).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: 'mdma-at-ptsd', versions: [1, 2, 3], latestVersion: 3 }),
        expect.objectContaining({ id: 'esketamine-monitored', versions: [1], latestVersion: 1 }),
      ]),
    );
  });

  it('shows one version as data, and 404 for a version that does not exist', async () => {
    const v2 = await http(stack.baseUrl, 'GET', '/protocols/mdma-at-ptsd/versions/2', { token });
    expect(v2.status).toBe(200);
    expect(v2.body.permissions.RecordInformedConsent).toContain('integration');
    expect(v2.body.sessions.length).toBeGreaterThan(5);
    expect(v2.body.screening).toBeDefined();
    const v1 = await http(stack.baseUrl, 'GET', '/protocols/mdma-at-ptsd/versions/1', { token });
    expect(v1.body.permissions.RecordInformedConsent).not.toContain('integration');
    const v3 = await http(stack.baseUrl, 'GET', '/protocols/mdma-at-ptsd/versions/3', { token });
    expect(v3.body.instruments).toEqual(expect.arrayContaining([expect.objectContaining({ id: 'PCL-5', optional: true, reportedBy: 'patient', loinc: '101697-1' }), expect.objectContaining({ id: 'BDI-II' })]));
    expect(v2.body.instruments.map((i: any) => i.id)).not.toContain('PCL-5');
    // The late-entry threshold in force (v1 leaves it to the default) and each command's clinical-time field.
    expect(v1.body.lateEntryAfterMinutes).toBe(60);
    expect(v3.body.clinicalTimeFields).toMatchObject({ AdministerDose: 'performedAt', RecordVitals: 'measuredAt', RecordInformedConsent: 'consentedAt', ClassifyAdverseEvent: null });
    expect(v3.body.permissions.RecordEligibilityCriteria).toEqual(v3.body.permissions.RecordEligibilityCriterion);
    for (const path of ['/protocols/mdma-at-ptsd/versions/9', '/protocols/nope/versions/1', '/protocols/mdma-at-ptsd/versions/x']) {
      const res = await http(stack.baseUrl, 'GET', path, { token });
      expect({ path, status: res.status, code: res.body.code }).toEqual({ path, status: 404, code: 'PROTOCOL_NOT_FOUND' });
    }
  });

  it('answers 422 STEP_NOT_IN_PROTOCOL for a command the protocol does not use (not 403)', async () => {
    const started = await http(stack.baseUrl, 'POST', '/courses', { token, body: { patientRef: 'P-PROTO', siteId: 'site-a', protocolId: 'mdma-at-ptsd' } });
    const res = await http(stack.baseUrl, 'POST', `/courses/${started.body.courseId}/commands`, {
      token,
      body: { type: 'SubmitMonitoringForm', data: { sessionKey: 'dosing-1', values: { ok: true } } },
    });
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 422, code: 'STEP_NOT_IN_PROTOCOL' });
  });

  it('documents the Idempotency-Key header once per command route', async () => {
    const doc = (await http(stack.baseUrl, 'GET', '/openapi.json')).body;
    for (const [route, method] of [['/courses', 'post'], ['/courses/{courseId}/commands', 'post']] as const) {
      const headers = doc.paths[route][method].parameters.filter((p: any) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key');
      expect({ route, count: headers.length }).toEqual({ route, count: 1 });
    }
  });

  it('answers a body that is not JSON with a sentence of its own, not the parser message', async () => {
    const res = await http(stack.baseUrl, 'POST', '/courses/x/commands', { token, rawBody: '{"type":' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringMatching(/^The request body is not valid JSON/) });
    expect(JSON.stringify(res.body)).not.toMatch(/Unexpected/);
  });

  it('shows the steps a course allows now, who may do them and the signature they need', async () => {
    const started = await http(stack.baseUrl, 'POST', '/courses', { token, body: { patientRef: 'P-STEPS', siteId: 'site-a', protocolId: 'mdma-at-ptsd' } });
    const course = await http(stack.baseUrl, 'GET', `/courses/${started.body.courseId}`, { token });
    expect(course.status).toBe(200);
    const consent = course.body.availableSteps.available.find((s: any) => s.command === 'RecordInformedConsent');
    expect(consent).toMatchObject({ roles: expect.arrayContaining(['coordinator', 'integration']), signatureMeaning: null });
    // Before consent nothing may be collected: the protocol says so, with its code.
    const blocked = course.body.availableSteps.blocked;
    expect(blocked.length).toBeGreaterThan(0);
    expect(blocked.every((s: any) => typeof s.reason === 'string' && typeof s.message === 'string')).toBe(true);
  });
});
