import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { courseStreamId } from '@care/contracts';
import { http, startTestStack, type TestStack } from '../support/test-stack';
import { waitFor, WebhookReceiver } from '../support/webhook-receiver';
import { freePort } from '../support/free-port';
import { startWorkerProcess } from '../support/worker-process';

// Every course and subscription of this suite lives at a site of its own, so no other suite's events match.
const SITE = 'site-hooks';
// Attempts at 0, 2, 2 and 2 seconds (the real schedule's values are proven in retry-schedule.unit.spec.ts).
const SCHEDULE = '0,2,2,2';

jest.setTimeout(120_000);

/**
 * Outbound webhooks delivered by Temporal to a real receiver on 127.0.0.2, verified with the
 * `standardwebhooks` library (not our signing code); inbound webhooks signed with the same library
 * and executed as protocol commands at most once.
 */
describe('webhooks', () => {
  let stack: TestStack;
  let admin: string;
  let coordinator: string;
  let auditor: string;
  const receiver = new WebhookReceiver();
  let base = '';

  const subscribe = async (path: string, eventTypes = ['course.started']) => {
    const res = await http(stack.baseUrl, 'POST', '/integrations/subscriptions', { token: admin, body: { url: `${base}${path}`, siteId: SITE, eventTypes } });
    expect(res.status).toBe(201);
    expect(res.body.secret).toMatch(/^whsec_/);
    return res.body as { subscriptionId: string; secret: string };
  };
  const startCourse = async (): Promise<string> => {
    const res = await http(stack.baseUrl, 'POST', '/courses', { token: coordinator, body: { patientRef: `P-HOOK-SECRET-${randomUUID().slice(0, 8)}`, siteId: SITE, protocolId: 'mdma-at-ptsd' } });
    expect(res.status).toBe(201);
    return res.body.courseId as string;
  };
  const deliveriesOf = async (subscriptionId: string) => (await http(stack.baseUrl, 'GET', `/integrations/subscriptions/${subscriptionId}/deliveries`, { token: auditor })).body.deliveries as any[];
  const deliveryWhen = (subscriptionId: string, done: (d: any) => boolean) =>
    waitFor(`a delivery of ${subscriptionId}`, async () => {
      const [d] = await deliveriesOf(subscriptionId);
      if (!d || !done(d)) return null;
      return (await http(stack.baseUrl, 'GET', `/integrations/deliveries/${d.deliveryId}`, { token: auditor })).body;
    });

  beforeAll(async () => {
    base = await receiver.listen();
    stack = await startTestStack({
      webhookRelay: true,
      env: { WEBHOOK_ALLOWED_NETWORKS: '127.0.0.2/32', WEBHOOK_RETRY_SCHEDULE_SECONDS: SCHEDULE, WEBHOOK_TIMEOUT_MS: '1000', PROJECTIONS_POLL_INTERVAL_MS: '200' },
    });
    admin = await stack.token({ sub: 'u-admin-hooks', name: 'Ada Admin', role: 'admin', site: SITE });
    coordinator = await stack.token({ sub: 'u-coord-hooks', site: SITE });
    auditor = await stack.token({ sub: 'u-aud-hooks', role: 'auditor', site: SITE });
  });
  afterAll(async () => {
    await stack?.stop();
    await receiver.close();
  });

  describe('outbound', () => {
    it('refuses endpoint URLs that are not https or resolve to no allowed address', async () => {
      for (const url of ['http://10.0.0.1/hook', 'https://169.254.169.254/latest', 'http://[::1]:8080/x', 'ftp://example.org/x', 'https://user:pw@example.org/x']) {
        const res = await http(stack.baseUrl, 'POST', '/integrations/subscriptions', { token: admin, body: { url, siteId: SITE, eventTypes: ['course.started'] } });
        expect({ url, status: res.status, field: res.body.errors?.[0]?.field }).toEqual({ url, status: 400, field: 'url' });
      }
      const otherSite = await http(stack.baseUrl, 'POST', '/integrations/subscriptions', { token: admin, body: { url: `${base}/x`, siteId: 'site-a', eventTypes: ['course.started'] } });
      expect(otherSite.status).toBe(403);
      const unknownType = await http(stack.baseUrl, 'POST', '/integrations/subscriptions', { token: admin, body: { url: `${base}/x`, siteId: SITE, eventTypes: ['course.exploded'] } });
      expect(unknownType.status).toBe(400);
    });

    it('delivers every event to every matching subscription, signed, thin, and logs each attempt', async () => {
      receiver
        .on('/ok', () => ({ status: 200 }))
        .on('/flaky', (n) => (n <= 3 ? { status: 500, body: 'x'.repeat(5000) } : { status: 204 }))
        .on('/gone', () => ({ status: 410 }))
        .on('/throttle', (n) => (n === 1 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200 }))
        .on('/hang', () => 'hang')
        .on('/redirect', () => ({ status: 302, headers: { location: `${base}/redirect-target` } }));
      const ok = await subscribe('/ok');
      const flaky = await subscribe('/flaky');
      const gone = await subscribe('/gone');
      const throttle = await subscribe('/throttle');
      const hang = await subscribe('/hang');
      const redirect = await subscribe('/redirect');
      // localhost resolves to 127.0.0.1 / ::1, outside the allowed 127.0.0.2: refused when connecting.
      const port = Number(new URL(base).port);
      const privateHost = (
        await http(stack.baseUrl, 'POST', '/integrations/subscriptions', { token: admin, body: { url: `http://localhost:${port}/private`, siteId: SITE, eventTypes: ['course.started'] } })
      ).body;
      expect(privateHost.subscriptionId).toBeDefined();

      const courseId = await startCourse();

      // 2xx: delivered once, verified by the receiver with the library and the subscription's secret.
      const okDelivery = await deliveryWhen(ok.subscriptionId, (d) => d.status === 'delivered');
      const [okRequest] = receiver.requests('/ok');
      expect(receiver.requests('/ok')).toHaveLength(1);
      const verified = new Webhook(ok.secret).verify(okRequest!.body, okRequest!.headers as Record<string, string>) as any;
      expect(verified).toMatchObject({ type: 'course.started', data: { courseId, siteId: SITE, streamVersion: 1 } });
      expect(okRequest!.headers['webhook-id']).toBe(okDelivery.deliveryId);
      // Thin: no patient reference, nothing clinical.
      expect(okRequest!.body).not.toContain('P-HOOK-SECRET');
      expect(okDelivery.attemptsLog).toEqual([expect.objectContaining({ attempt: 1, statusCode: 200 })]);
      const [event] = (await stack.db.query(`SELECT event_id FROM es.events WHERE stream_id = $1 AND stream_version = 1`, [courseStreamId(courseId)])) as { event_id: string }[];
      expect(verified.data.eventId).toBe(event!.event_id);
      const ofEvent = await http(stack.baseUrl, 'GET', `/integrations/events/${event!.event_id}/deliveries`, { token: auditor });
      expect(ofEvent.body.deliveries.length).toBe(7);

      // 500 three times, then 2xx: four attempts logged, the response excerpt kept to 1 kB.
      const flakyDelivery = await deliveryWhen(flaky.subscriptionId, (d) => d.status === 'delivered');
      expect(flakyDelivery.attemptsLog.map((a: any) => a.statusCode)).toEqual([500, 500, 500, 204]);
      expect(flakyDelivery.attemptsLog[0].responseExcerpt.length).toBeLessThanOrEqual(1024);

      // 410: the subscription is disabled and says why; an operational event records it.
      const goneDelivery = await deliveryWhen(gone.subscriptionId, (d) => d.status === 'failed');
      expect(goneDelivery.attemptsLog).toHaveLength(1);
      const goneSub = await http(stack.baseUrl, 'GET', `/integrations/subscriptions/${gone.subscriptionId}`, { token: admin });
      expect(goneSub.body).toMatchObject({ enabled: false, disabledReason: expect.stringContaining('410') });
      expect(goneSub.body.operationalEvents.map((e: any) => e.type)).toContain('endpoint.disabled');

      // 429 with Retry-After: 2 is honoured.
      await deliveryWhen(throttle.subscriptionId, (d) => d.status === 'delivered');
      const [first, second] = receiver.requests('/throttle');
      expect(second!.at - first!.at).toBeGreaterThanOrEqual(1900);

      // An endpoint that never answers: each attempt times out and is retried, then the delivery fails.
      const hangDelivery = await deliveryWhen(hang.subscriptionId, (d) => d.status === 'failed');
      expect(hangDelivery.attemptsLog.length).toBe(4);
      expect(hangDelivery.attemptsLog.every((a: any) => a.statusCode === null && /timeout/.test(a.error))).toBe(true);

      // A redirect is a failure and is never followed.
      const redirectDelivery = await deliveryWhen(redirect.subscriptionId, (d) => d.status === 'failed');
      expect(redirectDelivery.attemptsLog.map((a: any) => a.statusCode)).toEqual([302, 302, 302, 302]);
      expect(receiver.requests('/redirect-target')).toHaveLength(0);

      // A name resolving to a private address: refused at connect time, logged, nothing reached the receiver.
      const privateDelivery = await deliveryWhen(privateHost.subscriptionId, (d) => d.status === 'failed');
      expect(privateDelivery.attemptsLog[0].error).toMatch(/^blocked/);
      expect(receiver.requests('/private')).toHaveLength(0);
    });

    it('signs with the old and the new secret for a day after a rotation', async () => {
      const sub = await subscribe('/rotated');
      const rotated = await http(stack.baseUrl, 'POST', `/integrations/subscriptions/${sub.subscriptionId}/rotate-secret`, { token: admin });
      expect(rotated.status).toBe(200);
      expect(rotated.body.secret).not.toBe(sub.secret);
      await startCourse();
      await deliveryWhen(sub.subscriptionId, (d) => d.status === 'delivered');
      const [request] = receiver.requests('/rotated');
      for (const secret of [sub.secret, rotated.body.secret]) {
        expect(() => new Webhook(secret).verify(request!.body, request!.headers as Record<string, string>)).not.toThrow();
      }
      // Creating and rotating are in the audit trail.
      const log = await stack.db.query(`SELECT resource FROM audit.access_log WHERE actor_id = 'u-admin-hooks' AND action = 'manage'`);
      expect(log.map((r: { resource: string }) => r.resource)).toEqual(expect.arrayContaining(['integration-subscription-created', 'integration-subscription-secret-rotated']));
    });

    it('delivers once, after the endpoint comes back, what it missed while down', async () => {
      const port = await freePort();
      const late = new WebhookReceiver();
      const sub = (
        await http(stack.baseUrl, 'POST', '/integrations/subscriptions', { token: admin, body: { url: `http://127.0.0.2:${port}/late`, siteId: SITE, eventTypes: ['course.started'] } })
      ).body;
      await startCourse();
      await deliveryWhen(sub.subscriptionId, (d) => d.attempts >= 1);
      await late.listen(port);
      try {
        const delivered = await deliveryWhen(sub.subscriptionId, (d) => d.status === 'delivered');
        expect(delivered.attemptsLog[0].error).toMatch(/network/);
        expect(late.requests('/late')).toHaveLength(1);
      } finally {
        await late.close();
      }
    });

    it('redelivers one delivery, and recovers what failed, with the same webhook-id', async () => {
      receiver.on('/recover', (n) => (n <= 4 ? { status: 500 } : { status: 200 }));
      const sub = await subscribe('/recover');
      await startCourse();
      const failed = await deliveryWhen(sub.subscriptionId, (d) => d.status === 'failed');
      expect(failed.attemptsLog).toHaveLength(4);
      const recovered = await http(stack.baseUrl, 'POST', `/integrations/subscriptions/${sub.subscriptionId}/recover`, { token: admin, body: { since: new Date(Date.now() - 3_600_000).toISOString() } });
      expect(recovered.body.requeued).toBe(1);
      const delivered = await deliveryWhen(sub.subscriptionId, (d) => d.status === 'delivered');
      expect(delivered.attemptsLog.map((a: any) => [a.run, a.statusCode])).toEqual([
        [1, 500],
        [1, 500],
        [1, 500],
        [1, 500],
        [2, 200],
      ]);
      const ids = new Set(receiver.requests('/recover').map((r) => r.headers['webhook-id']));
      expect(ids.size).toBe(1);
      const again = await http(stack.baseUrl, 'POST', `/integrations/deliveries/${delivered.deliveryId}/redeliver`, { token: admin });
      expect(again.status).toBe(202);
      await waitFor('the redelivery', async () => receiver.requests('/recover').length === 6);
      expect((await http(stack.baseUrl, 'POST', `/integrations/deliveries/${delivered.deliveryId}/redeliver`, { token: auditor })).status).toBe(403);
    });
  });

  describe('inbound', () => {
    let source: { sourceId: string; secret: string; name: string };
    /** Signs and sends; a payload given as a string is sent as those exact bytes (a re-send). */
    const send = (payload: unknown, options: { id?: string; secret?: string; at?: Date; sourceId?: string } = {}) => {
      const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
      const id = options.id ?? `msg_${randomUUID()}`;
      const at = options.at ?? new Date();
      const signature = new Webhook(options.secret ?? source.secret).sign(id, at, body);
      return http(stack.baseUrl, 'POST', `/webhooks/${options.sourceId ?? source.sourceId}`, {
        rawBody: body,
        headers: { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': signature },
      });
    };
    const consent = (courseId: string, consentedAt = new Date().toISOString()) => ({
      type: 'consent.signed',
      timestamp: new Date().toISOString(),
      data: { courseId, consentFormVersion: 'v3', consentedAt },
    });
    const eventsOf = async (courseId: string) =>
      (await stack.db.query(`SELECT event_type, metadata FROM es.events WHERE stream_id = $1 ORDER BY stream_version`, [courseStreamId(courseId)])) as { event_type: string; metadata: any }[];

    beforeAll(async () => {
      const res = await http(stack.baseUrl, 'POST', '/integrations/sources', { token: admin, body: { name: 'Acme e-Consent', siteId: SITE } });
      expect(res.status).toBe(201);
      source = res.body;
    });

    it('records the mapped command with the source as the actor, once, however often it is sent', async () => {
      const courseId = await startCourse();
      const id = `msg_${randomUUID()}`;
      const payload = JSON.stringify(consent(courseId));
      const first = await send(payload, { id });
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ webhookId: id, courseId, command: 'RecordInformedConsent', events: [{ type: 'InformedConsentRecorded' }] });
      // Re-sent later, as senders do: same id and bytes, a new timestamp and signature.
      const again = await send(payload, { id });
      expect({ status: again.status, body: again.body }).toEqual({ status: first.status, body: first.body });
      // The same id with other content is refused.
      const changed = await send(consent(courseId, '2026-01-06T08:30:00Z'), { id });
      expect({ status: changed.status, code: changed.body.code }).toEqual({ status: 409, code: 'WEBHOOK_ID_REUSED' });
      const events = await eventsOf(courseId);
      expect(events.map((e) => e.event_type)).toEqual(['CourseStarted', 'InformedConsentRecorded']);
      expect(events[1]!.metadata.actor).toEqual({ id: `integration:${source.sourceId}`, name: 'Acme e-Consent', role: 'integration', siteId: SITE });
    });

    it('records a PCL-5 total from an e-PRO system (assessment.completed) on a new course, and refuses one out of range', async () => {
      const courseId = await startCourse();
      expect((await send(consent(courseId))).status).toBe(200);
      const pcl5 = (total: number) => ({ type: 'assessment.completed', timestamp: new Date().toISOString(), data: { courseId, instrument: 'PCL-5', timepoint: 'baseline', values: { total } } });
      const recorded = await send(pcl5(52));
      expect(recorded.status).toBe(200);
      expect(recorded.body).toMatchObject({ courseId, command: 'RecordAssessment', events: [{ type: 'AssessmentRecorded' }] });
      const outOfRange = await send(pcl5(81));
      expect({ status: outOfRange.status, code: outOfRange.body.code }).toEqual({ status: 422, code: 'OUTCOME_INVALID' });
      expect((await eventsOf(courseId)).map((e) => e.event_type)).toEqual(['CourseStarted', 'InformedConsentRecorded', 'AssessmentRecorded']);
    });

    it('executes two copies arriving at once a single time, with the same answer', async () => {
      const courseId = await startCourse();
      const id = `msg_${randomUUID()}`;
      const payload = JSON.stringify(consent(courseId));
      const [a, b] = await Promise.all([send(payload, { id }), send(payload, { id })]);
      expect(a.status).toBe(200);
      expect({ status: b.status, events: b.body.events }).toEqual({ status: a.status, events: a.body.events });
      expect((await eventsOf(courseId)).map((e) => e.event_type)).toEqual(['CourseStarted', 'InformedConsentRecorded']);
    });

    it('answers 401 with one body for a bad signature, a stale timestamp or an unknown source, and records nothing', async () => {
      const courseId = await startCourse();
      const answers = [
        await send(consent(courseId), { secret: `whsec_${Buffer.alloc(32, 7).toString('base64')}` }),
        await send(consent(courseId), { at: new Date(Date.now() - 6 * 60_000) }),
        await send(consent(courseId), { sourceId: randomUUID() }),
      ];
      expect(answers.map((a) => a.status)).toEqual([401, 401, 401]);
      expect(new Set(answers.map((a) => JSON.stringify({ code: a.body.code, message: a.body.message }))).size).toBe(1);
      expect((await eventsOf(courseId)).map((e) => e.event_type)).toEqual(['CourseStarted']);
      const reasons = await stack.db.query(`SELECT query ->> 'reason' AS reason FROM audit.access_log WHERE resource LIKE 'webhook:%' AND outcome = 'denied'`);
      expect(reasons.map((r: { reason: string }) => r.reason)).toEqual(expect.arrayContaining(['bad_signature', 'stale_timestamp', 'unknown source']));
    });

    it('answers 400 naming the field for a malformed payload or an unknown type, and records nothing', async () => {
      const courseId = await startCourse();
      const missing = await send({ type: 'consent.signed', timestamp: new Date().toISOString(), data: { courseId, consentFormVersion: 'v3' } });
      expect(missing.status).toBe(400);
      expect(missing.body.errors).toEqual([expect.objectContaining({ field: 'data.consentedAt' })]);
      const unknown = await send({ type: 'consent.revoked', timestamp: new Date().toISOString(), data: { courseId } });
      expect(unknown.status).toBe(400);
      expect(unknown.body.errors[0].field).toBe('type');
      expect((await eventsOf(courseId)).map((e) => e.event_type)).toEqual(['CourseStarted']);
    });

    it('answers 422 with the protocol code when the protocol refuses, and the same 422 to a retry', async () => {
      const courseId = await startCourse();
      const id = `msg_${randomUUID()}`;
      const payload = JSON.stringify(consent(courseId, '2999-01-01T00:00:00Z'));
      const refused = await send(payload, { id });
      expect(refused.status).toBe(422);
      expect(refused.body.code).toBe('CLINICAL_TIME_INVALID');
      const retry = await send(payload, { id });
      expect({ status: retry.status, code: retry.body.code, message: retry.body.message }).toEqual({ status: 422, code: refused.body.code, message: refused.body.message });
      expect((await eventsOf(courseId)).map((e) => e.event_type)).toEqual(['CourseStarted']);
    });

    it('answers 404 for a course that is not at the source site', async () => {
      const elsewhere = await http(stack.baseUrl, 'POST', '/courses', { token: await stack.token({ sub: 'u-other-site', site: 'site-a' }), body: { patientRef: `P-ELSEWHERE-${randomUUID().slice(0, 8)}`, siteId: 'site-a', protocolId: 'mdma-at-ptsd' } });
      const res = await send(consent(elsewhere.body.courseId));
      expect(res.status).toBe(404);
      expect((await eventsOf(elsewhere.body.courseId)).map((e) => e.event_type)).toEqual(['CourseStarted']);
    });

    it('keeps verifying with the previous secret for a day after a rotation', async () => {
      const rotated = await http(stack.baseUrl, 'POST', `/integrations/sources/${source.sourceId}/rotate-secret`, { token: admin });
      expect(rotated.status).toBe(200);
      const courseId = await startCourse();
      expect((await send(consent(courseId))).status).toBe(200);
      const other = await startCourse();
      expect((await send(consent(other), { secret: rotated.body.secret })).status).toBe(200);
    });

    it('publishes the catalogue of event types with a schema for each', async () => {
      const res = await http(stack.baseUrl, 'GET', '/integrations/event-types', { token: coordinator });
      expect(res.status).toBe(200);
      expect(res.body.inbound.map((t: any) => t.type)).toEqual(['consent.signed', 'appointment.booked', 'appointment.cancelled', 'vitals.reading', 'assessment.completed']);
      expect(res.body.outbound.map((t: any) => t.type)).toEqual(expect.arrayContaining(['course.started', 'vitals.alert', 'due.escalated']));
      const consentType = res.body.inbound.find((t: any) => t.type === 'consent.signed');
      expect(consentType.dataSchema.required).toEqual(['courseId', 'consentFormVersion', 'consentedAt']);
    });
  });

  // Last: it replaces the suite's in-process worker with compiled worker processes.
  describe('worker killed with SIGKILL while deliveries are in flight', () => {
    const processes: ChildProcess[] = [];
    const startWorker = async (): Promise<ChildProcess> => {
      const child = await startWorkerProcess({
        DATA_DIR: fs.mkdtempSync(path.join(process.env['CARE_TEST_WORK_DIR'] ?? '/tmp', 'hooks-worker-')),
        TEMPORAL_TASK_QUEUE: stack.config.temporal.taskQueue,
        PAYLOAD_CODEC_KEYS_FILE: stack.config.payloadCodec.keysFile,
        WEBHOOK_ALLOWED_NETWORKS: '127.0.0.2/32',
        WEBHOOK_RETRY_SCHEDULE_SECONDS: SCHEDULE,
        WEBHOOK_TIMEOUT_MS: '3000',
        PROJECTIONS_POLL_INTERVAL_MS: '200',
      });
      processes.push(child);
      return child;
    };
    afterAll(() => {
      for (const p of processes) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    });

    it('delivers every event to every matching subscription after a restart, no delivery run twice', async () => {
      // The endpoints answer after a second, so attempts are in flight when the worker dies.
      const paths = ['/crash-a', '/crash-b', '/crash-c'];
      for (const p of paths) receiver.on(p, () => ({ status: 200, delayMs: 1000 }));
      const subs = await Promise.all(paths.map((p) => subscribe(p)));
      await stack.stopWorker();
      const first = await startWorker();
      const courses = await Promise.all(Array.from({ length: 5 }, () => startCourse()));
      // Wait until attempts are under way, then kill the worker without warning.
      await waitFor('attempts in flight', async () => receiver.received.filter((r) => paths.includes(r.path)).length >= 2);
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
      await startWorker();
      for (const sub of subs) {
        await waitFor(`all deliveries of ${sub.subscriptionId}`, async () => {
          const ds = await deliveriesOf(sub.subscriptionId);
          return ds.length === courses.length && ds.every((d) => d.status === 'delivered');
        }, 90_000);
      }
      const rows = (await stack.db.query(
        `SELECT d.delivery_id, d.course_id, d.runs, d.started_runs FROM integrations.deliveries d WHERE d.subscription_id = ANY($1)`,
        [subs.map((s) => s.subscriptionId)],
      )) as { delivery_id: string; course_id: string; runs: number; started_runs: number }[];
      // One delivery per (subscription, event), each with a single run.
      expect(rows).toHaveLength(subs.length * courses.length);
      expect(new Set(rows.map((r) => r.delivery_id)).size).toBe(rows.length);
      expect(rows.every((r) => r.runs === 1 && r.started_runs === 1)).toBe(true);
      // Every (subscription, course) reached its endpoint, verified by the library; a re-sent attempt carries the same webhook-id.
      for (const [i, sub] of subs.entries()) {
        const got = receiver.requests(paths[i]!);
        const courseIds = new Set(got.map((r) => (new Webhook(sub.secret).verify(r.body, r.headers as Record<string, string>) as any).data.courseId));
        expect([...courseIds].sort()).toEqual([...courses].sort());
        expect(new Set(got.map((r) => r.headers['webhook-id'])).size).toBe(courses.length);
      }
    });
  });
});
