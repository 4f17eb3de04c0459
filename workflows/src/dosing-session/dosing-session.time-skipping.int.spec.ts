import { randomUUID } from 'node:crypto';
import { courseStreamId } from '@care/contracts';
import type { CourseCommand } from '@care/protocol';
import { at, esketamineEligible, esketamineVisit, vitals } from '../../../libs/protocol/src/testing/course.fixtures';
import { startTimeSkipping, type TimeSkippingStack } from '../../../test/support/time-skipping';

/**
 * A dosing session as a child workflow, on Temporal's time-skipping server: the hours of a session pass
 * in moments and the vitals schedule's timers fire as the protocol says (esketamine: a reading about
 * 40 minutes after the dose, counted as missed 15 minutes after that).
 */
// Temporal's Java time-skipping server now and then keeps a time lock after a workflow-to-workflow
// signal and the clock stalls (see CourseDriver.skip); a stalled scenario is retried from scratch
// instead of waiting out the default timeout. Every scenario takes a few seconds when it runs.
jest.retryTimes(2, { logErrorsBeforeRetry: true });
jest.setTimeout(45_000);

describe('dosing session child workflow (time skipping)', () => {
  let stack: TimeSkippingStack;
  beforeAll(async () => {
    stack = await startTimeSkipping();
  });
  afterAll(async () => stack?.stop());

  const events = async (courseId: string) =>
    (await stack.db.query('SELECT event_type, data, metadata FROM es.events WHERE stream_id = $1 ORDER BY stream_version', [
      courseStreamId(courseId),
    ])) as { event_type: string; data: Record<string, unknown>; metadata: Record<string, any> }[];

  it('stays silent when the scheduled reading arrives on time', async () => {
    const courseId = randomUUID();
    const driver = stack.driver(courseId);
    await stack.withWorker(() => driver.sendAll([...esketamineEligible(), ...esketamineVisit('treatment-1', 7, false)]));
    await driver.close();
    const recorded = await events(courseId);
    expect(recorded.map((e) => e.event_type)).toContain('PatientDischarged');
    expect(recorded.filter((e) => e.event_type === 'AlertRaised')).toHaveLength(0);
  });

  it('records an alert, by the workflow itself, when the 40-minute reading is missed', async () => {
    const courseId = randomUUID();
    const driver = stack.driver(courseId);
    // The reading due about 40 minutes after the 09:15 dose arrives only at 10:30, after its grace period.
    const visit = esketamineVisit('treatment-1', 7, false).map((c) =>
      c.type === 'RecordVitals' && (c.data as { timing: string }).timing === 'post_dose' ? vitals('treatment-1', 'post_dose', at(7, '10:30')) : c,
    );
    await stack.withWorker(() => driver.sendAll([...esketamineEligible(), ...visit]));
    await driver.close();
    const recorded = await events(courseId);
    const alerts = recorded.filter((e) => e.event_type === 'AlertRaised');
    expect(alerts).toHaveLength(1);
    expect(String(alerts[0]!.data['reason'])).toMatch(/about 40 minutes after the dose.*not recorded/);
    expect(alerts[0]!.metadata['actor']).toMatchObject({ id: 'system:course-workflow' });
    // It came before the discharge: the timer fired at dose + 40 + 15 minutes, not at the end.
    const types = recorded.map((e) => e.event_type);
    expect(types.indexOf('AlertRaised')).toBeLessThan(types.indexOf('PatientDischarged'));
  });

  it('keeps the schedule of a dose entered after the fact, and leaves time to enter readings taken meanwhile', async () => {
    const courseId = randomUUID();
    const driver = stack.driver(courseId);
    // The 09:15 dose is entered at 10:05, the reading taken at 09:55 at 10:15: after the reading's own
    // deadline (10:10), within the grace period counted from the dose's entry. No alert is due.
    const visit = esketamineVisit('treatment-1', 7, false).map((c): CourseCommand => {
      if (c.type === 'AdministerDose') return { ...c, data: { ...c.data, performedAt: at(7, '09:15') }, metadata: { ...c.metadata, now: at(7, '10:05') } } as CourseCommand;
      if (c.type === 'RecordVitals' && (c.data as { timing: string }).timing === 'post_dose') {
        const late = vitals('treatment-1', 'post_dose', at(7, '10:15'));
        return { ...late, data: { ...late.data, measuredAt: at(7, '09:55') } } as CourseCommand;
      }
      return c;
    });
    await stack.withWorker(() => driver.sendAll([...esketamineEligible(), ...visit]));
    await driver.close();
    const recorded = await events(courseId);
    expect(recorded.filter((e) => e.event_type === 'AlertRaised')).toHaveLength(0);
    const dose = recorded.find((e) => e.event_type === 'DoseAdministered')!;
    expect(dose.data['performedAt']).toBe(driver.toServer(at(7, '09:15')));
    // Entered at 10:05 (the workflow's clock when it decided the dose).
    expect(Math.abs(Date.parse(dose.metadata['occurredAt']) - Date.parse(driver.toServer(at(7, '10:05'))))).toBeLessThan(60_000);
    // Monitored from the dose's clinical time: 09:15 to the 11:20 discharge.
    expect(recorded.find((e) => e.event_type === 'PatientDischarged')!.data['minutesMonitored']).toBe(125);
  });
});
