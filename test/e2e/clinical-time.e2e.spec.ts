import { randomUUID } from 'node:crypto';
import { http, startTestStack, type TestStack } from '../support/test-stack';

const minutesAgo = (minutes: number): string => new Date(Date.now() - minutes * 60_000).toISOString();

/**
 * Clinical time against the real servers: a course, a consent and a screening record entered after
 * the fact keep when they happened beside when they were entered; a late entry needs its reason and is
 * flagged in the record, the audit trail and the export; an implausible time is refused and leaves nothing.
 */
describe('clinical time and late entries (HTTP)', () => {
  let stack: TestStack;
  let coordinator: string;
  let auditor: string;
  let courseId: string;
  const send = (command: Record<string, unknown>) => http(stack.baseUrl, 'POST', `/courses/${courseId}/commands`, { token: coordinator, body: command });
  const eventsOf = async (id: string) =>
    (await stack.db.query('SELECT event_type, data, metadata FROM es.events WHERE stream_id = $1 ORDER BY stream_version', [`course-${id}`])) as {
      event_type: string;
      data: Record<string, any>;
      metadata: Record<string, any>;
    }[];

  beforeAll(async () => {
    stack = await startTestStack();
    coordinator = await stack.token({ sub: 'u-clin', name: 'Casey Coordinator', role: 'coordinator', site: 'site-a', auth_time: Math.floor(Date.now() / 1000) });
    auditor = await stack.token({ sub: 'u-clin-aud', name: 'Ada Auditor', role: 'auditor', site: 'site-a' });
  });
  afterAll(async () => stack?.stop());

  it('starts a course that began this morning only with the reason it is entered late, and keeps both times', async () => {
    const patientRef = `P-CLIN-${randomUUID().slice(0, 8)}`;
    const began = minutesAgo(180);
    const body = { patientRef, siteId: 'site-a', protocolId: 'mdma-at-ptsd', performedAt: began };
    const unexplained = await http(stack.baseUrl, 'POST', '/courses', { token: coordinator, body });
    expect(unexplained.status).toBe(422);
    expect(unexplained.body).toMatchObject({ code: 'LATE_ENTRY_REASON_REQUIRED', details: { field: 'data.lateEntryReason', lateEntryAfterMinutes: 60 } });
    const started = await http(stack.baseUrl, 'POST', '/courses', { token: coordinator, body: { ...body, lateEntryReason: 'Screening visit held on paper during a network outage' } });
    expect(started.status).toBe(201);
    courseId = started.body.courseId;
    expect(started.body.state.startedAt).toBe(began);
    const [event] = await eventsOf(courseId);
    expect(event!.data).toMatchObject({ performedAt: began, lateEntryReason: 'Screening visit held on paper during a network outage' });
    expect(Date.parse(event!.metadata['occurredAt'])).toBeGreaterThan(Date.parse(began) + 179 * 60_000);
    // A malformed clinical time is a 400 naming the field.
    const malformed = await http(stack.baseUrl, 'POST', '/courses', { token: coordinator, body: { ...body, patientRef: `${patientRef}-x`, performedAt: 'this morning' } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors).toEqual([expect.objectContaining({ field: 'performedAt' })]);
  });

  it('refuses a late consent without a reason, records it with one, and leaves no event for the refusals', async () => {
    const consentedAt = minutesAgo(120);
    const consent = { type: 'RecordInformedConsent', data: { consentFormVersion: 'v3', consentedAt } };
    const late = await send(consent);
    expect(late.status).toBe(422);
    expect(late.body).toMatchObject({ code: 'LATE_ENTRY_REASON_REQUIRED' });
    expect(late.body.details.minutesAfter).toBeGreaterThanOrEqual(120);
    const beforeStart = await send({ type: 'RecordInformedConsent', data: { consentFormVersion: 'v3', consentedAt: minutesAgo(240), lateEntryReason: 'Paper form' } });
    expect(beforeStart.body).toMatchObject({ code: 'CLINICAL_TIME_INVALID', details: { field: 'data.consentedAt' } });
    expect(beforeStart.body.message).toContain('the start of the course');
    expect((await eventsOf(courseId)).map((e) => e.event_type)).toEqual(['CourseStarted']);
    const recorded = await send({ ...consent, data: { ...consent.data, lateEntryReason: 'Signed on paper; entered after the visit' } });
    expect(recorded.status).toBe(200);
    expect(recorded.body.events[0].data).toMatchObject({ consentedAt, lateEntryReason: 'Signed on paper; entered after the visit' });
  });

  it('refuses a screening record timed in the future or before consent, and takes one timed earlier today', async () => {
    const criterion = (performedAt: string) => ({
      type: 'RecordEligibilityCriterion',
      data: { criterionId: 'age-18-or-over', outcome: 'pass', evidence: 'ID document checked', performedAt, signature: { meaning: 'authorship' } },
    });
    const future = await send(criterion(new Date(Date.now() + 10 * 60_000).toISOString()));
    expect(future.status).toBe(422);
    expect(future.body).toMatchObject({ code: 'CLINICAL_TIME_INVALID', details: { field: 'data.performedAt' } });
    expect((await send(criterion(minutesAgo(150)))).body.message).toContain('informed consent');
    const timely = await send(criterion(minutesAgo(30)));
    expect(timely.status).toBe(200);
    expect(timely.body.events[0].data).not.toHaveProperty('lateEntryReason');
    expect((await eventsOf(courseId)).map((e) => e.event_type)).toEqual(['CourseStarted', 'InformedConsentRecorded', 'EligibilityCriterionRecorded']);
  });

  it('shows entry time, clinical time and the late entry in audit entries and the CSV export', async () => {
    const entries = await http(stack.baseUrl, 'GET', `/audit/events?courseId=${courseId}`, { token: auditor });
    expect(entries.status).toBe(200);
    const byType = Object.fromEntries(entries.body.entries.map((e: any) => [e.what.type, e]));
    const consent = byType['InformedConsentRecorded'];
    expect(consent.when.clinicalTime).toBe(consent.what.data.consentedAt);
    expect(consent.when.lateEntry).toMatchObject({ reason: 'Signed on paper; entered after the visit' });
    expect(consent.when.lateEntry.minutesAfter).toBeGreaterThanOrEqual(120);
    expect(Date.parse(consent.when.occurredAt) - Date.parse(consent.when.clinicalTime)).toBeGreaterThanOrEqual(120 * 60_000);
    const criterion = byType['EligibilityCriterionRecorded'];
    expect(criterion.when).toMatchObject({ clinicalTime: criterion.what.data.performedAt, lateEntry: null });
    const csv = await http(stack.baseUrl, 'GET', `/audit/export?courseId=${courseId}&format=csv`, { token: auditor });
    const [header, ...lines] = String(csv.body).trim().split('\n');
    expect(header!.split(',').slice(-2)).toEqual(['clinical_time_utc', 'late_entry']);
    expect(lines.find((l) => l.includes('InformedConsentRecorded'))).toContain(consent.when.clinicalTime);
  });
});
