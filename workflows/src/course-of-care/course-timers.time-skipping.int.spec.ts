import { randomUUID } from 'node:crypto';
import { courseStreamId } from '@care/contracts';
import {
  at,
  cmd,
  determineEligible,
  esketamineEligible,
  esketamineVisit,
  mdmaPrepared,
  mdmaScreening,
} from '../../../libs/protocol/src/testing/course.fixtures';
import { startTimeSkipping, type TimeSkippingStack } from '../../../test/support/time-skipping';

type Row = { stream_version: string; event_type: string; data: Record<string, any>; metadata: Record<string, any> };

/**
 * The course workflow's durable timers on Temporal's time-skipping server: weeks pass in seconds and
 * every reminder, overdue notice, escalation and lapse is recorded at the protocol's time, by the
 * workflow itself, with a notification beside it.
 */
// Temporal's Java time-skipping server now and then keeps a time lock after a workflow-to-workflow
// signal and the clock stalls (see CourseDriver.skip); a stalled scenario is retried from scratch
// instead of waiting out the default timeout. Every scenario takes a few seconds when it runs.
jest.retryTimes(2, { logErrorsBeforeRetry: true });
jest.setTimeout(45_000);

describe('course timers (time skipping)', () => {
  let stack: TimeSkippingStack;
  beforeAll(async () => {
    stack = await startTimeSkipping();
  });
  afterAll(async () => stack?.stop());

  const events = async (courseId: string): Promise<Row[]> =>
    (await stack.db.query('SELECT stream_version, event_type, data, metadata FROM es.events WHERE stream_id = $1 ORDER BY stream_version', [
      courseStreamId(courseId),
    ])) as Row[];
  const offsetHours = (from: Row, to: Row) => (Date.parse(to.metadata['occurredAt']) - Date.parse(from.metadata['occurredAt'])) / 3_600_000;

  it('reminds a day before a scheduled visit, marks it overdue at its time and escalates a day later', async () => {
    const courseId = randomUUID();
    const driver = stack.driver(courseId);
    await stack.withWorker(async () => {
      await driver.sendAll([...mdmaScreening(), determineEligible(), cmd('ScheduleSession', { sessionKey: 'prep-1', scheduledFor: at(7, '09:00') }, 'coordinator', at(1))]);
      await driver.advanceTo(at(9)); // nobody starts the visit
    });
    await driver.close();
    const recorded = await events(courseId);
    const scheduled = recorded.find((e) => e.event_type === 'SessionScheduled')!;
    const notices = recorded.filter((e) => e.data['label'] === 'Scheduled start of Preparatory session 1');
    expect(notices.map((e) => e.event_type)).toEqual(['DueDateReminderIssued', 'DueDatePassed', 'DueDateEscalated']);
    // Each at its protocol time (within the second it takes the timer's workflow task to run).
    const expected = [at(6, '09:00'), at(7, '09:00'), at(8, '09:00')].map((t) => Date.parse(driver.toServer(t)));
    notices.forEach((e, i) => expect(Math.abs(Date.parse(e.metadata['occurredAt']) - expected[i]!)).toBeLessThan(1000));
    expect(scheduled).toBeDefined();
    for (const n of notices) expect(n.metadata['actor']).toMatchObject({ id: 'system:course-workflow', role: 'system' });
    const outbox = (await stack.db.query('SELECT kind FROM notify.outbox WHERE course_id = $1 ORDER BY id', [courseId])) as { kind: string }[];
    expect(outbox.map((o) => o.kind)).toEqual(expect.arrayContaining(['DueDateReminderIssued', 'DueDatePassed', 'DueDateEscalated']));
  });

  it('lets eligibility lapse when the first dosing visit is not reached in time', async () => {
    const courseId = randomUUID();
    const driver = stack.driver(courseId);
    await stack.withWorker(async () => {
      await driver.sendAll(mdmaPrepared());
      await driver.advanceTo(at(60));
    });
    await driver.close();
    const recorded = await events(courseId);
    const determined = recorded.find((e) => e.event_type === 'EligibilityDetermined')!;
    const lapsed = recorded.find((e) => e.event_type === 'EligibilityExpired')!;
    expect(lapsed).toBeDefined();
    // 56 days (the protocol's eligibilityValidDays) after the determination, to the minute.
    expect(offsetHours(determined, lapsed)).toBeCloseTo(56 * 24, 1);
  });

  it('marks the 7-day monitoring form overdue on day 7 after an esketamine session', async () => {
    const courseId = randomUUID();
    const driver = stack.driver(courseId);
    await stack.withWorker(async () => {
      await driver.sendAll([...esketamineEligible(), ...esketamineVisit('treatment-1', 7, false)]);
      await driver.advanceTo(at(15));
    });
    await driver.close();
    const recorded = await events(courseId);
    const discharged = recorded.find((e) => e.event_type === 'PatientDischarged')!;
    const overdue = recorded.find((e) => e.event_type === 'DueDatePassed' && e.data['command'] === 'SubmitMonitoringForm')!;
    expect(overdue).toBeDefined();
    expect(offsetHours(discharged, overdue)).toBeCloseTo(7 * 24, 1);
    const reminder = recorded.find((e) => e.event_type === 'DueDateReminderIssued' && e.data['command'] === 'SubmitMonitoringForm');
    expect(offsetHours(discharged, reminder!)).toBeCloseTo(6 * 24, 1);
  });
});
