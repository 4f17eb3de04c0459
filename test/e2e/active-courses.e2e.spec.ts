import { randomUUID } from 'node:crypto';
import { http, startTestStack, type TestStack } from '../support/test-stack';

/** One active course per patient, protocol and site, decided atomically. */
describe('one active course per patient and protocol', () => {
  let stack: TestStack;
  let token: string;
  beforeAll(async () => {
    stack = await startTestStack();
    token = await stack.token({ sub: 'u-active', site: 'site-a' });
  });
  afterAll(async () => stack?.stop());

  const start = (patientRef: string, protocolId = 'mdma-at-ptsd') =>
    http(stack.baseUrl, 'POST', '/courses', { token, body: { patientRef, siteId: 'site-a', protocolId } });

  it('gives exactly one 201 to ten concurrent starts for one patient, and 409 naming that course to the others', async () => {
    const patientRef = `P-TEN-${randomUUID().slice(0, 8)}`;
    const answers = await Promise.all(Array.from({ length: 10 }, () => start(patientRef)));
    const created = answers.filter((a) => a.status === 201);
    expect(created).toHaveLength(1);
    const refused = answers.filter((a) => a.status === 409);
    expect(refused).toHaveLength(9);
    for (const r of refused) expect(r.body).toMatchObject({ code: 'COURSE_ALREADY_ACTIVE', details: { courseId: created[0]!.body.courseId } });
    // Exactly one course of this patient is in the record.
    const rows = await stack.db.query(`SELECT count(*)::int AS n FROM es.events WHERE event_type = 'CourseStarted' AND data ->> 'patientRef' = $1`, [patientRef]);
    expect(rows[0].n).toBe(1);
  });

  it('refuses a later second start too, but not a course of another protocol or at another patient', async () => {
    const patientRef = `P-TWO-${randomUUID().slice(0, 8)}`;
    expect((await start(patientRef)).status).toBe(201);
    const again = await start(patientRef);
    expect({ status: again.status, code: again.body.code }).toEqual({ status: 409, code: 'COURSE_ALREADY_ACTIVE' });
    expect((await start(patientRef, 'esketamine-monitored')).status).toBe(201);
    expect((await start(`${patientRef}-other`)).status).toBe(201);
  });
});
