import type { DataSource } from 'typeorm';
import { CheckpointSigner, EventStore, verifyInclusion } from '@care/event-store';
import { at, determineEligible, eventsOf, mdmaDosingStart, mdmaPrepared, mdmaScreening } from '../../libs/protocol/src/testing/course.fixtures';
import { catchUpReadModels } from '../support/read-models';
import { http, startTestStack, type TestStack } from '../support/test-stack';

/**
 * The auditors' API and the staff worklist over HTTP against the real servers. Courses come from two
 * sources: one through the API (a real workflow), two written straight from the protocol's fixtures
 * (one per site) so the worklist has due dates without driving a whole screening over HTTP.
 */
describe('auditors API and worklist (HTTP)', () => {
  let stack: TestStack;
  let signer: CheckpointSigner;
  const tokens: Record<string, string> = {};
  let apiCourse: string;
  let correctedVersion: number;

  const get = (route: string, who: string) => http(stack.baseUrl, 'GET', route, { token: tokens[who]! });

  /** The fixture's events for one course, moved to `siteId`, plus a correction of the baseline assessment. */
  const writeFixtureCourse = async (db: DataSource, courseId: string, siteId: string) => {
    // Move the fixture's calendar so its first due date (eligibility lapse) fell yesterday: overdue today.
    const raw = eventsOf(...mdmaScreening(), determineEligible());
    const firstDue = Date.parse('2026-03-02T13:00:00.000Z') - Date.parse(raw[raw.length - 1]!.metadata.occurredAt);
    const shift = Date.now() - 86_400_000 - firstDue - Date.parse(raw[raw.length - 1]!.metadata.occurredAt);
    const shifted = JSON.parse(
      JSON.stringify(raw).replace(/"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?Z)"/g, (_, iso: string) => JSON.stringify(new Date(Date.parse(iso) + shift).toISOString())),
    ) as typeof raw;
    const events = shifted.map((e) => ({
      ...e,
      data: e.type === 'CourseStarted' ? { ...e.data, courseId, siteId, patientRef: `P-${courseId}` } : e.data,
      metadata: { ...e.metadata, actor: { ...e.metadata.actor, siteId } },
    })) as { type: string; schemaVersion: number; data: Record<string, unknown>; metadata: Record<string, unknown> }[];
    const assessment = events.findIndex((e) => e.type === 'AssessmentRecorded');
    correctedVersion = assessment + 1;
    events.push({
      type: 'EventCorrected',
      schemaVersion: 1,
      data: { eventVersion: correctedVersion, correctedType: 'AssessmentRecorded', reason: 'Transcription error', values: { total: 41 } },
      metadata: { ...events[assessment]!.metadata },
    });
    await new EventStore(db).append(`course-${courseId}`, 'course', 0, events);
    return events;
  };

  /**
   * A course at site-a in its first dosing visit, dosed at 00:10 UTC today (the fixture's calendar moved), so
   * the worklist of today has the supplemental dose (01:40 to 02:40) and the discharge (from 08:10).
   */
  const writeDosingCourse = async (db: DataSource, courseId: string) => {
    const raw = eventsOf(...mdmaPrepared(), ...mdmaDosingStart('dosing-1', 28, 80));
    const today = new Date();
    today.setUTCHours(0, 10, 0, 0);
    const shift = today.getTime() - Date.parse(at(28, '08:30'));
    const shifted = JSON.parse(
      JSON.stringify(raw).replace(/"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?Z)"/g, (_, iso: string) => JSON.stringify(new Date(Date.parse(iso) + shift).toISOString())),
    ) as typeof raw;
    const events = shifted.map((e) => ({ ...e, data: e.type === 'CourseStarted' ? { ...e.data, courseId, patientRef: `P-${courseId}` } : e.data }));
    await new EventStore(db).append(`course-${courseId}`, 'course', 0, events as unknown as { type: string; schemaVersion: number; data: Record<string, unknown>; metadata: Record<string, unknown> }[]);
    return today.getTime();
  };
  let dosedAt: number;

  beforeAll(async () => {
    stack = await startTestStack();
    signer = CheckpointSigner.fromFile(stack.config.ledger.signingKeyFile, true);
    tokens['coordA'] = await stack.token({});
    tokens['coordB'] = await stack.token({ sub: 'u-coord-b', name: 'Bo Coordinator', site: 'site-b' });
    tokens['therapistA'] = await stack.token({ sub: 'u-ther-a', name: 'Tia Therapist', role: 'therapist' });
    tokens['auditorA'] = await stack.token({ sub: 'u-aud-a', name: 'Ada Auditor', role: 'auditor' });
    tokens['auditorB'] = await stack.token({ sub: 'u-aud-b', name: 'Ben Auditor', role: 'auditor', site: 'site-b' });

    const started = await http(stack.baseUrl, 'POST', '/courses', {
      token: tokens['coordA']!,
      body: { patientRef: 'P-HTTP-1', siteId: 'site-a', protocolId: 'mdma-at-ptsd' },
    });
    expect(started.status).toBe(201);
    apiCourse = started.body.courseId;
    expect((await get(`/courses/${apiCourse}`, 'coordA')).status).toBe(200);
    expect((await get(`/courses/${apiCourse}/events`, 'coordA')).status).toBe(200);
    expect((await get(`/courses/${apiCourse}/events`, 'coordB')).status).toBe(404);

    await writeFixtureCourse(stack.db, 'fx-a', 'site-a');
    await writeFixtureCourse(stack.db, 'fx-b', 'site-b');
    dosedAt = await writeDosingCourse(stack.db, 'fx-dosing');
    await catchUpReadModels(stack.db, signer, stack.config.ledger.origin, [`course-${apiCourse}`, 'course-fx-a', 'course-fx-b', 'course-fx-dosing']);
  });
  afterAll(async () => stack?.stop());

  it("GET /worklist shows due and overdue steps of the caller's site only", async () => {
    const a = await get('/worklist', 'coordA');
    expect(a.status).toBe(200);
    expect(a.body.siteId).toBe('site-a');
    expect(a.body.items.length).toBeGreaterThan(0);
    const endOfToday = new Date();
    endOfToday.setUTCHours(24, 0, 0, 0);
    for (const item of a.body.items) {
      expect(item.courseId).not.toBe('fx-b');
      expect(Date.parse(item.dueAt)).toBeLessThan(endOfToday.getTime());
      // A step without a deadline (a discharge) is due from its time on, never overdue.
      expect(item.overdue).toBe(!item.openEnded && Date.parse(item.dueAt) < Date.now());
    }
    expect(a.body.items.map((i: { courseId: string }) => i.courseId)).toContain('fx-a');
    // The dosing visit's steps with their real times, by the protocol's own computation of the steps.
    const minutes = (n: number) => new Date(dosedAt + n * 60_000).toISOString();
    const dosing = a.body.items.filter((i: { courseId: string }) => i.courseId === 'fx-dosing');
    expect(dosing).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          command: 'AdministerSupplementalDose',
          sessionKey: 'dosing-1',
          earliestAt: minutes(90),
          dueAt: minutes(150),
          openEnded: false,
          // The course's protocol version, whose permissions say who may take the step.
          protocol: { id: 'mdma-at-ptsd', version: expect.any(Number) },
        }),
        expect.objectContaining({ command: 'DischargePatient', label: 'Discharge the patient', sessionKey: 'dosing-1', earliestAt: minutes(480), dueAt: minutes(480), openEnded: true, overdue: false }),
      ]),
    );
    const b = await get('/worklist', 'coordB');
    expect(b.body.items.map((i: { courseId: string }) => i.courseId)).toEqual(expect.arrayContaining(['fx-b']));
    expect(b.body.items.every((i: { courseId: string }) => i.courseId === 'fx-b')).toBe(true);
  });

  it('refuses staff roles with 403 PERMISSION_DENIED, and another site as a filter', async () => {
    for (const route of ['/audit/events', '/audit/export', '/audit/verify', '/audit/access-log', '/audit/projections']) {
      const res = await get(route, 'therapistA');
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('PERMISSION_DENIED');
    }
    expect((await get('/audit/events?siteId=site-b', 'auditorA')).body.code).toBe('PERMISSION_DENIED');
  });

  it('answers 400 for bad filters, cursors and limits', async () => {
    for (const q of ['limit=0', 'limit=abc', 'cursor=%21%21', 'cursor=bm9wZQ', 'from=yesterday', 'unknown=1', 'format=xml']) {
      const res = await get(`/audit/events?${q}`, 'auditorA');
      expect([q, res.status]).toEqual([q, 400]);
      expect(res.body.code).toBe('INVALID_REQUEST');
    }
  });

  it('lists who, what, when and why, paged by cursor in a stable order, for the auditor site only', async () => {
    const all = await get(`/audit/events?courseId=${apiCourse}`, 'auditorA');
    expect(all.status).toBe(200);
    const first = all.body.entries[0];
    expect(first).toMatchObject({
      courseId: apiCourse,
      streamVersion: 1,
      siteId: 'site-a',
      patientRef: 'P-HTTP-1',
      who: { id: 'u-coord-1', name: 'Casey Coordinator', role: 'coordinator', siteId: 'site-a' },
      what: { type: 'CourseStarted' },
    });
    expect(first.when.recordedAt).toMatch(/Z$/);

    const pages: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: any } = await get(`/audit/events?courseId=fx-a&limit=4${cursor ? `&cursor=${cursor}` : ''}`, 'auditorA');
      expect(res.status).toBe(200);
      pages.push(...res.body.entries.map((e: { position: string }) => e.position));
      cursor = res.body.nextCursor;
    } while (cursor);
    const whole = await get('/audit/events?courseId=fx-a&limit=500', 'auditorA');
    expect(pages).toEqual(whole.body.entries.map((e: { position: string }) => e.position));
    expect(new Set(pages).size).toBe(pages.length);

    const byActor = await get('/audit/events?actorId=u-physician&role=physician&patientRef=P-fx-a', 'auditorA');
    expect(byActor.body.entries.length).toBeGreaterThan(0);
    expect(byActor.body.entries.every((e: any) => e.who.role === 'physician' && e.courseId === 'fx-a')).toBe(true);
    const signedEntry = byActor.body.entries.find((e: any) => e.signature);
    expect(signedEntry?.signature).toBeDefined();

    expect((await get('/audit/events?courseId=fx-a', 'auditorB')).body.entries).toEqual([]);
    expect((await get('/audit/events?courseId=fx-b&from=2000-01-01T00:00:00Z&to=2999-01-01T00:00:00Z', 'auditorB')).body.entries.length).toBeGreaterThan(0);
  });

  it('shows a correction with the old and the new value and the reason', async () => {
    const res = await get('/audit/events?courseId=fx-a&eventType=EventCorrected', 'auditorA');
    expect(res.body.entries).toHaveLength(1);
    const c = res.body.entries[0].correction;
    expect(c).toMatchObject({ correctedVersion, correctedType: 'AssessmentRecorded', newValue: { total: 41 }, reason: 'Transcription error' });
    expect(c.oldValue).not.toBeNull();
    expect(res.body.entries[0].why).toBe('Transcription error');
  });

  it('exports NDJSON and CSV with one line per entry', async () => {
    // Filtered to this suite's course: other suites write site-a events at the same time.
    const count = (await get('/audit/events?courseId=fx-a&limit=500', 'auditorA')).body.entries.length;
    const nd = await fetch(`${stack.baseUrl}/audit/export?format=ndjson&courseId=fx-a`, { headers: { authorization: `Bearer ${tokens['auditorA']}` } });
    expect(nd.status).toBe(200);
    expect(nd.headers.get('content-type')).toMatch(/ndjson/);
    const lines = (await nd.text()).trim().split('\n');
    expect(lines).toHaveLength(count);
    expect(lines.every((l) => JSON.parse(l).siteId === 'site-a')).toBe(true);
    const csv = await fetch(`${stack.baseUrl}/audit/export?format=csv&courseId=fx-a`, { headers: { authorization: `Bearer ${tokens['auditorA']}` } });
    const rows = (await csv.text()).trim().split('\n');
    expect(rows[0]).toMatch(/^position,event_id,course_id/);
    expect(rows.length).toBeGreaterThan(10);
  });

  it('verifies the ledger and proves an event against the signed checkpoint', async () => {
    const v = await get('/audit/verify', 'auditorA');
    expect(v.status).toBe(200);
    expect(v.body).toMatchObject({ ok: true, firstMismatch: null });
    expect(v.body.treeSize).toBeGreaterThan(0);
    const entry = (await get('/audit/events?courseId=fx-a&limit=1', 'auditorA')).body.entries[0];
    const proof = await get(`/audit/events/${entry.eventId}/proof`, 'auditorA');
    expect(proof.status).toBe(200);
    const p = proof.body;
    expect(verifyInclusion(p.leafIndex, p.treeSize, Buffer.from(p.leafHash, 'hex'), p.auditPath.map((h: string) => Buffer.from(h, 'hex')), Buffer.from(p.rootHash, 'hex'))).toBe(true);
    expect((await get(`/audit/events/${entry.eventId}/proof`, 'auditorB')).status).toBe(404);
    expect((await get('/audit/verify?fromLeaf=5&toLeaf=2', 'auditorA')).status).toBe(400);
  });

  it('records every read of course data in the access log, queryable by auditors', async () => {
    const res = await get(`/audit/access-log?courseId=${apiCourse}`, 'auditorA');
    expect(res.status).toBe(200);
    const reads = res.body.entries.map((e: any) => [e.actor.id, e.resource, e.outcome]);
    expect(reads).toEqual(expect.arrayContaining([['u-coord-1', 'course', 'ok'], ['u-coord-1', 'course-events', 'ok']]));
    // The site-b attempt is logged under site-b (the reader's site), not shown to site-a auditors.
    const b = await get(`/audit/access-log?courseId=${apiCourse}`, 'auditorB');
    expect(b.body.entries.map((e: any) => e.outcome)).toContain('not_found');
  });

  it('reports projection lag', async () => {
    const res = await get('/audit/projections', 'auditorA');
    expect(res.status).toBe(200);
    expect(res.body.map((p: { name: string }) => p.name)).toEqual(['course-summary', 'patient-timeline']);
  });
});
