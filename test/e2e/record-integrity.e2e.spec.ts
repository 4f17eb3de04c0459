import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { courseStreamId, courseWorkflowId } from '@care/contracts';
import { EventStore } from '@care/event-store';
import { http, startTestStack, type TestStack } from '../support/test-stack';

/** A consent given as it is entered; renewed for each test, so it never precedes the test's course. */
const consentNow = () => ({ type: 'RecordInformedConsent', data: { consentFormVersion: 'v3', consentedAt: new Date().toISOString() } });
let CONSENT = consentNow();
beforeEach(() => {
  CONSENT = consentNow();
});

/**
 * The record never lies: text the store cannot keep is refused, a command is answered once and
 * truthfully whatever the client retries, idempotency never crosses sites, reads come from the
 * record, and a course whose record cannot be written stops instead of deciding on a state it lacks.
 */
describe('record integrity', () => {
  let stack: TestStack;
  let coordinator: string;

  const startCourse = async (patientRef: string): Promise<string> => {
    // A new patient per course (one active course per patient and protocol).
    const res = await http(stack.baseUrl, 'POST', '/courses', { token: coordinator, body: { patientRef: `${patientRef}-${randomUUID().slice(0, 8)}`, siteId: 'site-a', protocolId: 'mdma-at-ptsd' } });
    expect(res.status).toBe(201);
    return res.body.courseId as string;
  };
  const eventCount = async (courseId: string): Promise<number> =>
    Number((await stack.db.query('SELECT count(*) AS n FROM es.events WHERE stream_id = $1', [courseStreamId(courseId)]))[0].n);

  beforeAll(async () => {
    // Short answer deadline so the worker-down case answers 202 in seconds, not 30.
    stack = await startTestStack({ env: { COMMAND_ANSWER_TIMEOUT_MS: '3000' } });
    coordinator = await stack.token({ sub: 'u-rec-1', site: 'site-a' });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  describe('text the record cannot store', () => {
    const poison: [string, string][] = [
      ['U+0000 in a reason', '{"type":"RaiseAlert","data":{"reason":"x \\u0000 y"}}'],
      ['a lone high surrogate', '{"type":"ReportAdverseEvent","data":{"description":"pain \\ud800","onsetAt":"2026-01-05T08:30:00Z"}}'],
      ['a lone low surrogate', '{"type":"RaiseAlert","data":{"reason":"\\udc00 x"}}'],
      ['U+0000 in a key', '{"type":"RaiseAlert","data":{"reason":"x","a\\u0000b":1}}'],
    ];
    it.each(poison)('refuses %s with 400 naming the field, and records nothing', async (_name, raw) => {
      const courseId = await startCourse('P-POISON');
      const res = await http(stack.baseUrl, 'POST', `/courses/${courseId}/commands`, { token: coordinator, rawBody: raw });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('INVALID_REQUEST');
      expect(res.body.errors[0].field).toMatch(/^data\./);
      expect(JSON.stringify(res.body)).not.toMatch(/pain|\\u0000/);
      expect(await eventCount(courseId)).toBe(1);
      // The course is not jammed: the next command is recorded at once.
      const next = await http(stack.baseUrl, 'POST', `/courses/${courseId}/commands`, { token: coordinator, body: CONSENT });
      expect(next.status).toBe(200);
    });

    it('refuses a body that is not valid UTF-8 instead of replacing the bytes', async () => {
      const courseId = await startCourse('P-UTF8');
      const bytes = Buffer.concat([Buffer.from('{"type":"RaiseAlert","data":{"reason":"caf'), Buffer.from([0xc3, 0x28]), Buffer.from('"}}')]);
      const res = await fetch(`${stack.baseUrl}/courses/${courseId}/commands`, {
        method: 'POST',
        headers: { authorization: `Bearer ${coordinator}`, 'content-type': 'application/json' },
        body: bytes,
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { message: string }).message).toMatch(/UTF-8/);
      expect(await eventCount(courseId)).toBe(1);
    });

    it('refuses U+0000 in a query string with 400', async () => {
      const auditor = await stack.token({ sub: 'u-rec-aud', role: 'auditor', site: 'site-a' });
      const res = await http(stack.baseUrl, 'GET', '/audit/events?patientRef=a%00b', { token: auditor });
      expect(res.status).toBe(400);
      expect(res.body.errors[0].field).toBe('query.patientRef');
    });
  });

  it('answers a retried command with the same events and never records it twice', async () => {
    const courseId = await startCourse('P-RETRY');
    const first = await http(stack.baseUrl, 'POST', `/courses/${courseId}/commands`, { token: coordinator, body: CONSENT });
    expect(first.status).toBe(200);
    const commandId = first.headers.get('command-id');
    expect(commandId).toMatch(/^[0-9a-f-]{36}$/);
    const again = await http(stack.baseUrl, 'POST', `/courses/${courseId}/commands`, { token: coordinator, body: CONSENT, headers: { 'idempotency-key': commandId! } });
    expect(again.status).toBe(200);
    expect(again.body.events.map((e: { eventId: string }) => e.eventId)).toEqual(first.body.events.map((e: { eventId: string }) => e.eventId));
    expect(await eventCount(courseId)).toBe(2);
    const status = await http(stack.baseUrl, 'GET', `/courses/${courseId}/commands/${commandId}`, { token: coordinator });
    expect(status.body).toMatchObject({ commandId, status: 'recorded' });
    expect(status.body.events).toHaveLength(1);
  });

  it('answers a refused command the same way when it is retried, without deciding it again', async () => {
    const courseId = await startCourse('P-REFUSE');
    // A consent dated in the future is refused by the protocol.
    const body = { type: 'RecordInformedConsent', data: { consentFormVersion: 'v3', consentedAt: '2999-01-05T08:30:00Z' } };
    const first = await http(stack.baseUrl, 'POST', `/courses/${courseId}/commands`, { token: coordinator, body, headers: { 'idempotency-key': 'refuse-once-0001' } });
    expect(first.status).toBe(422);
    const again = await http(stack.baseUrl, 'POST', `/courses/${courseId}/commands`, { token: coordinator, body, headers: { 'idempotency-key': 'refuse-once-0001' } });
    expect({ status: again.status, code: again.body.code, message: again.body.message }).toEqual({ status: 422, code: first.body.code, message: first.body.message });
    const status = await http(stack.baseUrl, 'GET', `/courses/${courseId}/commands/refuse-once-0001`, { token: coordinator });
    expect(status.body).toMatchObject({ status: 'refused', error: { code: first.body.code } });
  });

  it('never replays an Idempotency-Key across sites: the other site gets 404', async () => {
    const courseId = await startCourse('P-CROSS');
    const key = 'cross-site-key-0001';
    const own = await http(stack.baseUrl, 'POST', `/courses/${courseId}/commands`, { token: coordinator, body: CONSENT, headers: { 'idempotency-key': key } });
    expect(own.status).toBe(200);
    // The same user id and key, with a token for another site.
    const otherSite = await stack.token({ sub: 'u-rec-1', site: 'site-b' });
    const replay = await http(stack.baseUrl, 'POST', `/courses/${courseId}/commands`, { token: otherSite, body: CONSENT, headers: { 'idempotency-key': key } });
    expect(replay.status).toBe(404);
    expect(replay.body.code).toBe('COURSE_NOT_FOUND');
    expect(JSON.stringify(replay.body)).not.toContain('P-CROSS');
    expect((await http(stack.baseUrl, 'GET', `/courses/${courseId}/commands/${key}`, { token: otherSite })).status).toBe(404);
  });

  it('with the worker down: reads come from the record, a command is pending (202) and recorded exactly once after any retries', async () => {
    const courseId = await startCourse('P-DOWN');
    let commandId = '';
    await stack.stopWorker();
    try {
      const read = await http(stack.baseUrl, 'GET', `/courses/${courseId}`, { token: coordinator });
      expect(read.status).toBe(200);
      expect(read.body).toMatchObject({ courseId, version: 1, status: 'active' });

      const sent = await http(stack.baseUrl, 'POST', `/courses/${courseId}/commands`, { token: coordinator, body: CONSENT });
      expect(sent.status).toBe(202);
      commandId = sent.headers.get('command-id')!;
      expect(sent.body).toMatchObject({ commandId, status: 'pending', statusUrl: `/courses/${courseId}/commands/${commandId}` });
      expect(sent.headers.get('location')).toBe(sent.body.statusUrl);
      expect(sent.body.message).not.toMatch(/nothing was recorded/i);
      const pending = await http(stack.baseUrl, 'GET', sent.body.statusUrl, { token: coordinator });
      expect(pending.body.status).toBe('pending');
      // The client retries twice with the id it was given.
      for (let i = 0; i < 2; i++) {
        const retry = await http(stack.baseUrl, 'POST', `/courses/${courseId}/commands`, { token: coordinator, body: CONSENT, headers: { 'idempotency-key': commandId } });
        expect(retry.status).toBe(202);
      }
    } finally {
      await stack.startWorker();
    }
    // Once the worker is back the command is executed once, and every way of asking says so.
    let status: { body: { status: string; events?: unknown[] } } = { body: { status: 'pending' } };
    for (const end = Date.now() + 30_000; Date.now() < end && status.body.status !== 'recorded'; await new Promise((r) => setTimeout(r, 250))) {
      status = await http(stack.baseUrl, 'GET', `/courses/${courseId}/commands/${commandId}`, { token: coordinator });
    }
    expect(status.body).toMatchObject({ status: 'recorded' });
    expect(status.body.events).toHaveLength(1);
    const retry = await http(stack.baseUrl, 'POST', `/courses/${courseId}/commands`, { token: coordinator, body: CONSENT, headers: { 'idempotency-key': commandId } });
    expect(retry.status).toBe(200);
    const events = await stack.db.query(`SELECT event_type FROM es.events WHERE stream_id = $1 ORDER BY stream_version`, [courseStreamId(courseId)]);
    expect(events.map((e: { event_type: string }) => e.event_type)).toEqual(['CourseStarted', 'InformedConsentRecorded']);
  });

  it('stops a course loudly when its record was written around the workflow, and appends nothing more', async () => {
    const courseId = await startCourse('P-DIVERGED');
    // An event written directly into the stream (as the database owner), bypassing the workflow.
    await new EventStore(stack.db).append(courseStreamId(courseId), 'course', 1, [
      {
        type: 'AlertRaised',
        schemaVersion: 1,
        data: { sessionKey: null, reason: 'written around the workflow' },
        metadata: { actor: { id: 'dba', name: 'Database owner', role: 'admin', siteId: 'site-a' }, occurredAt: new Date().toISOString(), correlationId: 'around' },
      },
    ]);
    const first = await http(stack.baseUrl, 'POST', `/courses/${courseId}/commands`, { token: coordinator, body: CONSENT });
    expect(first.status).toBe(409);
    expect(first.body.code).toBe('RECORD_DIVERGED');
    const later = await http(stack.baseUrl, 'POST', `/courses/${courseId}/commands`, { token: coordinator, body: { type: 'RaiseAlert', data: { reason: 'later' } } });
    expect({ status: later.status, code: later.body.code }).toEqual({ status: 409, code: 'RECORD_DIVERGED' });
    // Nothing after the foreign event: the workflow neither appended its command nor any later one.
    expect(await eventCount(courseId)).toBe(2);
    // Operators see it in Temporal's search attributes.
    const connection = await Connection.connect({ address: stack.config.temporal.address });
    try {
      const description = await new Client({ connection, namespace: stack.config.temporal.namespace }).workflow.getHandle(courseWorkflowId(courseId)).describe();
      expect(description.status.name).toBe('RUNNING');
      expect(description.searchAttributes['CourseRecord']).toEqual(['failed']);
    } finally {
      await connection.close();
    }
  });
});
