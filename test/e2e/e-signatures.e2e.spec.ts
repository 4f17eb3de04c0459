import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { signedRecords } from '@care/protocol';
import { http, startTestStack, type TestStack } from '../support/test-stack';

const sha256 = (record: unknown): string => createHash('sha256').update(canonicalize(record)!, 'utf8').digest('hex');

/**
 * Part 11 e-signatures end to end: fresh authentication (§11.200) checked by the API before the command
 * is sent, the manifestation (§11.50) with the hash of the record signed (§11.70) stored in the event
 * and shown in responses and exports, corrections voiding a signature, failed attempts access-logged.
 */
describe('e-signatures', () => {
  let stack: TestStack;
  let courseId: string;
  const now = () => Math.floor(Date.now() / 1000);
  /** A coordinator's token; `authTime` null leaves the claim out. */
  const coordinator = (authTime: number | null = now()) =>
    stack.token({ sub: 'u-casey', name: 'Casey Coordinator', role: 'coordinator', site: 'site-a', auth_time: authTime ?? undefined });
  const therapist = () => stack.token({ sub: 'u-tess', name: 'Tess Therapist', role: 'therapist', site: 'site-a' });
  const send = async (token: string, command: Record<string, unknown>, requestId?: string) =>
    http(stack.baseUrl, 'POST', `/courses/${courseId}/commands`, { token, body: command, ...(requestId ? { headers: { 'x-request-id': requestId } } : {}) });
  const criterionData = { criterionId: 'age-18-or-over', outcome: 'pass', evidence: 'ID document checked' };
  const eventCount = async () => Number((await stack.db.query(`SELECT count(*) FROM es.events WHERE stream_id = $1`, [`course-${courseId}`]))[0].count);
  const denials = async (requestId: string) =>
    (await stack.db.query(`SELECT actor_id, action, outcome, resource, course_id, query FROM audit.access_log WHERE correlation_id = $1`, [requestId])) as any[];

  beforeAll(async () => {
    stack = await startTestStack({ env: { SIGNATURE_MAX_AUTH_AGE_MINUTES: '5' } });
    const started = await http(stack.baseUrl, 'POST', '/courses', {
      token: await coordinator(),
      body: { patientRef: 'P-SIGN-1', siteId: 'site-a', protocolId: 'mdma-at-ptsd' },
    });
    courseId = started.body.courseId;
    const consent = await send(await coordinator(), { type: 'RecordInformedConsent', data: { consentFormVersion: 'v3', consentedAt: new Date().toISOString() } });
    expect(consent.status).toBe(200);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('refuses a signature without a recent sign-in (401 SIGNATURE_REAUTH_REQUIRED), records the attempt and writes nothing', async () => {
    const before = await eventCount();
    for (const [authTime, id] of [[now() - 6 * 60, 'sign-stale'], [null, 'sign-no-auth-time']] as const) {
      const res = await send(await coordinator(authTime), { type: 'RecordEligibilityCriterion', data: { ...criterionData, signature: { meaning: 'authorship' } } }, id);
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ code: 'SIGNATURE_REAUTH_REQUIRED', details: { maxAuthAgeSeconds: 300 } });
      expect(res.headers.get('www-authenticate')).toBe('Bearer error="insufficient_user_authentication", max_age=300');
      expect(await denials(id)).toEqual([
        expect.objectContaining({ actor_id: 'u-casey', action: 'sign', outcome: 'denied', resource: 'RecordEligibilityCriterion', course_id: courseId }),
      ]);
    }
    expect(await eventCount()).toBe(before);
  });

  it('refuses a missing signature or a wrong meaning (422 SIGNATURE_REQUIRED) and records the attempt', async () => {
    const missing = await send(await coordinator(), { type: 'RecordEligibilityCriterion', data: criterionData }, 'sign-missing');
    expect(missing.status).toBe(422);
    expect(missing.body).toMatchObject({ code: 'SIGNATURE_REQUIRED', details: { meaning: 'authorship' } });
    const wrong = await send(await coordinator(), { type: 'RecordEligibilityCriterion', data: { ...criterionData, signature: { meaning: 'approval' } } });
    expect(wrong.body.code).toBe('SIGNATURE_REQUIRED');
    expect(await denials('sign-missing')).toEqual([expect.objectContaining({ action: 'sign', outcome: 'denied' })]);
    // The client may not choose the record hash: only the API computes it.
    const forged = await send(await coordinator(), { type: 'RecordEligibilityCriterion', data: { ...criterionData, signature: { meaning: 'authorship', recordHash: 'a'.repeat(64) } } });
    expect(forged.status).toBe(400);
    // Nor which fields the record has.
    const fields = await send(await coordinator(), { type: 'RecordEligibilityCriterion', data: { ...criterionData, signature: { meaning: 'authorship', signedFields: ['outcome'] } } });
    expect(fields.status).toBe(400);
  });

  it('stores the manifestation with the hash of the exact record signed, and shows it in responses and exports', async () => {
    const res = await send(await coordinator(), { type: 'RecordEligibilityCriterion', data: { ...criterionData, signature: { meaning: 'authorship' } } });
    expect(res.status).toBe(200);
    // The record signed names when the step happened: the API fills in now when the signer leaves it out.
    const performedAt = res.body.events[0].data.performedAt;
    expect(Math.abs(Date.parse(performedAt) - Date.now())).toBeLessThan(60_000);
    const manifestation = {
      signerId: 'u-casey',
      printedName: 'Casey Coordinator',
      signedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/),
      meaning: 'authorship',
      recordHash: sha256({ ...criterionData, performedAt }),
      signedFields: ['criterionId', 'evidence', 'outcome', 'performedAt'],
    };
    expect(res.body.events[0].data.signature).toEqual(manifestation);
    const [row] = await stack.db.query(`SELECT data, stream_version FROM es.events WHERE stream_id = $1 AND event_type = 'EligibilityCriterionRecorded'`, [`course-${courseId}`]);
    expect(row.data.signature).toEqual(manifestation);
    // Anyone can recompute the hash from the stored record: its signed fields.
    const record = Object.fromEntries(row.data.signature.signedFields.map((k: string) => [k, row.data[k]]));
    expect(sha256(record)).toBe(row.data.signature.recordHash);

    const state = await http(stack.baseUrl, 'GET', `/courses/${courseId}`, { token: await coordinator() });
    expect(state.body.signatures[String(row.stream_version)]).toEqual(manifestation);
    const auditor = await stack.token({ sub: 'u-audrey', name: 'Audrey Auditor', role: 'auditor', site: 'site-a' });
    const exported = await http(stack.baseUrl, 'GET', `/audit/export?courseId=${courseId}&format=csv`, { token: auditor });
    expect(exported.status).toBe(200);
    expect(String(exported.body)).toContain(sha256({ ...criterionData, performedAt }));
    expect(String(exported.body)).toContain('Casey Coordinator');
  });

  it('records the rest of the screening checklist as one signed step: one event per criterion, one manifestation', async () => {
    const criteria = ['fluent-in-site-language', 'able-to-swallow-pills', 'liver-disease'].map((criterionId) => ({ criterionId, outcome: 'pass', evidence: 'Screening interview' }));
    const before = await eventCount();
    const res = await send(await coordinator(), { type: 'RecordEligibilityCriteria', data: { criteria, signature: { meaning: 'authorship' } } });
    expect(res.status).toBe(200);
    expect(res.body.events.map((e: any) => [e.type, e.data.criterionId])).toEqual(criteria.map((c) => ['EligibilityCriterionRecorded', c.criterionId]));
    expect(await eventCount()).toBe(before + 3);
    // One signature over the whole step: the hash of the batch as sent (with the time the API filled in).
    const performedAt = res.body.events[0].data.performedAt;
    const manifestations = res.body.events.map((e: any) => e.data.signature);
    expect(new Set(manifestations.map((m: unknown) => JSON.stringify(m))).size).toBe(1);
    expect(manifestations[0]).toMatchObject({ signerId: 'u-casey', meaning: 'authorship', recordHash: sha256({ criteria, performedAt }) });
    // A repeated criterion refuses the whole step and records nothing.
    const repeated = await send(await coordinator(), { type: 'RecordEligibilityCriteria', data: { criteria: [criteria[0], criteria[0]], signature: { meaning: 'authorship' } } });
    expect({ status: repeated.status, code: repeated.body.code }).toEqual({ status: 422, code: 'OUTCOME_INVALID' });
    expect(await eventCount()).toBe(before + 3);
  });

  it('voids the signature of a corrected record and requires the correction to be signed', async () => {
    const assessment = { instrument: 'CAPS-5', timepoint: 'baseline', values: { total: 40, ptsdDiagnosis: true, raterRef: 'IR-7' } };
    const recorded = await send(await therapist(), { type: 'RecordAssessment', data: { ...assessment, signature: { meaning: 'authorship' } } });
    expect(recorded.status).toBe(200);
    const version = recorded.body.events[0].streamVersion ?? recorded.body.state.version;
    const correction = { eventVersion: version, reason: 'Transcription error', values: { total: 41 } };
    const unsigned = await send(await therapist(), { type: 'CorrectEvent', data: correction });
    expect(unsigned.body.code).toBe('SIGNATURE_REQUIRED');
    const signed = await send(await therapist(), { type: 'CorrectEvent', data: { ...correction, signature: { meaning: 'authorship' } } });
    expect(signed.status).toBe(200);
    const event = signed.body.events[0];
    const signedAssessment = { ...assessment, performedAt: recorded.body.events[0].data.performedAt };
    expect(event.data.voidedSignature).toMatchObject({ signerId: 'u-tess', meaning: 'authorship', recordHash: sha256(signedAssessment) });
    expect(event.data.signature).toMatchObject({ signerId: 'u-tess', meaning: 'authorship', recordHash: sha256(correction) });
    const state = await http(stack.baseUrl, 'GET', `/courses/${courseId}`, { token: await therapist() });
    expect(state.body.signatures[String(version)]).toBeUndefined();
    expect(state.body.signatures[String(state.body.version)]).toMatchObject({ meaning: 'authorship' });
    const auditor = await stack.token({ sub: 'u-audrey', name: 'Audrey Auditor', role: 'auditor', site: 'site-a' });
    const entries = await http(stack.baseUrl, 'GET', `/audit/events?courseId=${courseId}&eventType=EventCorrected`, { token: auditor });
    expect(entries.body.entries[0]).toMatchObject({
      signature: { signerId: 'u-tess', meaning: 'authorship' },
      voidedSignature: { signerId: 'u-tess', recordHash: sha256(signedAssessment) },
    });
  });

  it('links every signature of the course to its stored record: the hash recomputes from the events as stored', async () => {
    const rows = (await stack.db.query(
      `SELECT event_type, stream_version::int AS version, data, metadata FROM es.events WHERE stream_id = $1 ORDER BY stream_version`,
      [`course-${courseId}`],
    )) as { event_type: string; version: number; data: Record<string, unknown>; metadata: { commandId?: string } }[];
    const records = signedRecords(rows.map((r) => ({ type: r.event_type, streamVersion: r.version, data: r.data, metadata: r.metadata })));
    // The criterion, the checklist (one signature over three events), the assessment and its correction (which adds the voided signature).
    expect(records.map((r) => r.streamVersions.length)).toEqual([1, 3, 1, 1]);
    for (const r of records) expect({ versions: r.streamVersions, hash: sha256(r.record) }).toEqual({ versions: r.streamVersions, hash: r.manifestation.recordHash });
  });

  it('GET /courses/:courseId/signatures checks every signature against its record, for the course\'s site only, and logs the read', async () => {
    const auditor = await stack.token({ sub: 'u-audrey', name: 'Audrey Auditor', role: 'auditor', site: 'site-a' });
    const res = await http(stack.baseUrl, 'GET', `/courses/${courseId}/signatures`, { token: auditor, headers: { 'x-request-id': 'sign-check' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ courseId, siteId: 'site-a', summary: { signatures: 4, matching: 4, differing: 0, withoutRecordHash: 0 } });
    const [criterion, checklist, assessment, correction] = res.body.signatures;
    expect(criterion).toMatchObject({ eventType: 'EligibilityCriterionRecorded', printedName: 'Casey Coordinator', meaning: 'authorship', result: 'matches', voidedByVersion: null });
    expect(checklist).toMatchObject({ signedFields: ['criteria', 'performedAt'], result: 'matches' });
    expect(checklist.eventIds).toHaveLength(3);
    // The corrected assessment's signature is void from the correction on, which signs the correction itself.
    expect(assessment).toMatchObject({ eventType: 'AssessmentRecorded', voidedByVersion: correction.streamVersions[0] });
    expect(correction).toMatchObject({ eventType: 'EventCorrected', signerId: 'u-tess', result: 'matches', voidedByVersion: null });
    for (const s of res.body.signatures) expect(s.recomputedHash).toBe(s.recordHash);
    const [logged] = await stack.db.query(`SELECT resource, course_id, outcome, actor_site FROM audit.access_log WHERE correlation_id = 'sign-check'`);
    expect(logged).toEqual({ resource: 'course-signatures', course_id: courseId, outcome: 'ok', actor_site: 'site-a' });
    const elsewhere = await stack.token({ sub: 'u-bo', name: 'Bo Auditor', role: 'auditor', site: 'site-b' });
    expect((await http(stack.baseUrl, 'GET', `/courses/${courseId}/signatures`, { token: elsewhere })).status).toBe(404);
  });
});
