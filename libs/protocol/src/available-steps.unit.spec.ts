import { availableSteps } from './available-steps';
import { initialState } from './state';
import {
  at,
  cmd,
  esketamineEligible,
  esketamineVisit,
  given,
  MDMA,
  mdmaDosing,
  mdmaDosingStart,
  mdmaPrepared,
  mdmaScreening,
  signed,
  simpleVisit,
  start,
} from './testing/course.fixtures';

const commands = (steps: { command: string }[]) => steps.map((s) => s.command);

describe('availableSteps', () => {
  it('offers only the start before a course exists', () => {
    expect(availableSteps(initialState(), at(0))).toEqual({ available: [{ command: 'StartCourse', label: 'Start the course of care' }], blocked: [], due: [] });
  });

  it('lists screening steps, blocked until consent, and the determination once complete', () => {
    const steps = availableSteps(given(start(MDMA)), at(0));
    expect(commands(steps.available)).toEqual(['RecordInformedConsent']);
    expect(steps.blocked).toContainEqual(expect.objectContaining({ command: 'RecordEmergencyContact', reason: 'STEP_OUT_OF_ORDER' }));
    expect(steps.blocked).toContainEqual(expect.objectContaining({ command: 'DetermineEligibility', reason: 'STEP_OUT_OF_ORDER' }));
    expect(commands(availableSteps(given(...mdmaScreening()), at(0)).available)).toEqual(['DetermineEligibility']);
    expect(availableSteps(given(...mdmaScreening(20)), at(0)).blocked).toEqual([expect.objectContaining({ command: 'DetermineEligibility', reason: 'INELIGIBLE' })]);
  });

  it('shows the washout gate and the next visit window', () => {
    const prepared = given(...mdmaPrepared());
    expect(availableSteps(prepared, at(19)).blocked).toContainEqual(expect.objectContaining({ command: 'StartSession', sessionKey: 'dosing-1', reason: 'WASHOUT_INCOMPLETE' }));
    expect(commands(availableSteps(prepared, at(28)).available)).toEqual(['ScheduleSession', 'StartSession']);
    const afterDosing = given(...mdmaPrepared(), ...mdmaDosing('dosing-1', 28, 80));
    const steps = availableSteps(afterDosing, at(28, '18:00'));
    expect(steps.blocked).toContainEqual(expect.objectContaining({ command: 'StartSession', sessionKey: 'integration-1.1', reason: 'INTERVAL_NOT_MET', earliest: at(28, '20:00'), dueBy: at(29, '20:00') }));
    expect(steps.due).toEqual([
      expect.objectContaining({ label: 'Latest start of Integration session 1.1', command: 'StartSession', sessionKey: 'integration-1.1', dueAt: at(29, '20:00'), overdue: false }),
    ]);
    const scheduled = given(...mdmaPrepared(), ...mdmaDosing('dosing-1', 28, 80), cmd('ScheduleSession', { sessionKey: 'integration-1.1', scheduledFor: at(29) }, 'coordinator', at(28, '18:00')));
    expect(commands(availableSteps(scheduled, at(30)).available)).toEqual(['CancelSession']);
    expect(availableSteps(scheduled, at(30)).due[0]).toMatchObject({ overdue: true });
  });

  it('walks a dosing visit: dose, supplement window, discharge time, completion', () => {
    const inDosing = given(...mdmaPrepared(), cmd('StartSession', { sessionKey: 'dosing-1' }, 'therapist', at(28, '08:00')));
    const before = availableSteps(inDosing, at(28, '08:01'));
    expect(commands(before.available)).toEqual(['RecordAssessment', 'RecordVitals', 'RecordPreDoseChecks']);
    expect(commands(before.blocked)).toEqual(['AdministerDose', 'CompleteSession']);
    const dosed = given(...mdmaPrepared(), ...mdmaDosingStart('dosing-1', 28, 80));
    const after = availableSteps(dosed, at(28, '09:00'));
    expect(after.blocked).toContainEqual(expect.objectContaining({ command: 'AdministerSupplementalDose', reason: 'INTERVAL_NOT_MET', earliest: at(28, '10:00'), dueBy: at(28, '11:00') }));
    expect(after.blocked).toContainEqual(expect.objectContaining({ command: 'DischargePatient', reason: 'MONITORING_INCOMPLETE', earliest: at(28, '16:30') }));
    expect(after.due).toContainEqual(expect.objectContaining({ label: 'Supplemental dose decision', dueAt: at(28, '11:00') }));
    expect(commands(after.available)).toContain('WithholdSupplementalDose');
  });

  it('lists the 40-minute reading and the monitoring-form deadline of an esketamine visit', () => {
    const dosed = given(...esketamineEligible(), ...esketamineVisit('treatment-1', 7, false).slice(0, 4));
    expect(availableSteps(dosed, at(7, '09:20')).due).toContainEqual(expect.objectContaining({ label: 'Vital signs about 40 minutes after the dose', dueAt: at(7, '09:55') }));
    const visited = given(...esketamineEligible(), ...esketamineVisit('treatment-1', 7, false));
    expect(availableSteps(visited, at(15)).due).toContainEqual(
      expect.objectContaining({ label: 'Patient monitoring form', command: 'SubmitMonitoringForm', sessionKey: 'treatment-1', dueAt: at(14, '11:20'), overdue: true }),
    );
  });

  it('lists assessment points with their window, events to classify and holds to clear', () => {
    const afterDosing2 = given(
      ...mdmaPrepared(),
      ...mdmaDosing('dosing-1', 28, 80),
      ...simpleVisit('integration-1.1', 29),
      ...simpleVisit('integration-1.2', 36),
      ...simpleVisit('integration-1.3', 43),
      ...mdmaDosing('dosing-2', 56, 120),
      cmd('ReportAdverseEvent', { description: 'Headache', onsetAt: at(56, '12:00'), seriousSuspected: true }, 'therapist', at(56, '12:30')),
    );
    const steps = availableSteps(afterDosing2, at(57));
    expect(steps.available).toContainEqual(expect.objectContaining({ command: 'RecordAssessment', timepoint: 'caps5-after-dosing-2' }));
    expect(steps.available).toContainEqual(expect.objectContaining({ command: 'ClassifyAdverseEvent' }));
    expect(steps.available).toContainEqual(expect.objectContaining({ command: 'ClearSafetyHold' }));
  });

  it('offers completion once every visit is done, blocked while the endpoint window is open', () => {
    const visits: ReturnType<typeof cmd>[] = [];
    for (const [k, day, mg] of [[1, 28, 80], [2, 56, 120], [3, 84, 120]] as const) {
      visits.push(...mdmaDosing(`dosing-${k}`, day, mg), ...simpleVisit(`integration-${k}.1`, day + 1), ...simpleVisit(`integration-${k}.2`, day + 8), ...simpleVisit(`integration-${k}.3`, day + 15));
      if (k === 2) visits.push(cmd('RecordAssessment', { instrument: 'CAPS-5', timepoint: 'caps5-after-dosing-2', values: { total: 30, ptsdDiagnosis: true, raterRef: 'IR' } }, 'therapist', at(60)));
    }
    const done = given(...mdmaPrepared(), ...visits);
    const steps = availableSteps(done, at(120));
    expect(steps.blocked).toContainEqual(expect.objectContaining({ command: 'CompleteCourse', reason: 'STEP_OUT_OF_ORDER' }));
    expect(steps.available).toContainEqual(expect.objectContaining({ command: 'RecordAssessment', timepoint: 'caps5-endpoint', earliest: at(112, '11:00'), dueBy: at(140, '11:00') }));
    expect(availableSteps(given(...esketamineEligible(), cmd('WithdrawCourse', { reason: 'other', ...signed('responsibility') }, 'physician', at(1))), at(2))).toEqual({ available: [], blocked: [], due: [] });
  });
});
