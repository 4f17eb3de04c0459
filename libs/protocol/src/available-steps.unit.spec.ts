import { availableSteps, worklistItems } from './available-steps';
import { initialState } from './state';
import {
  at,
  cmd,
  esketamineEligible,
  esketamineVisit,
  given,
  MDMA,
  consent,
  mdmaDosing,
  mdmaDosingEnd,
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
    expect(availableSteps(initialState(), at(0))).toEqual({
      available: [{ command: 'StartCourse', label: 'Start the course of care', roles: [], signatureMeaning: null }],
      blocked: [],
      due: [],
    });
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
    expect(steps.blocked).toContainEqual(expect.objectContaining({ command: 'StartSession', sessionKey: 'integration-1.1', reason: 'INTERVAL_NOT_MET', earliest: at(28, '20:00'), latest: at(29, '20:00') }));
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
    expect(after.blocked).toContainEqual(expect.objectContaining({ command: 'AdministerSupplementalDose', reason: 'INTERVAL_NOT_MET', earliest: at(28, '10:00'), latest: at(28, '11:00') }));
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
    expect(steps.available).toContainEqual(expect.objectContaining({ command: 'RecordAssessment', timepoint: 'caps5-endpoint', instrument: 'CAPS-5', earliest: at(112, '11:00'), latest: at(140, '11:00') }));
    expect(availableSteps(given(...esketamineEligible(), cmd('WithdrawCourse', { reason: 'other', ...signed('responsibility') }, 'physician', at(1))), at(2))).toEqual({ available: [], blocked: [], due: [] });
  });
  it('names who may take each step and the signature meaning it needs, from the protocol', () => {
    const screening = availableSteps(given(start(MDMA), consent()), at(0, '08:30'));
    expect(screening.available).toContainEqual(
      expect.objectContaining({ command: 'RecordEmergencyContact', roles: ['coordinator', 'therapist', 'physician'], signatureMeaning: null }),
    );
    expect(screening.available).toContainEqual(
      expect.objectContaining({ command: 'RecordMedicalClearance', roles: ['physician'], signatureMeaning: 'approval' }),
    );
    // One step per criterion, each naming its criterion, signed as the author of the record.
    const criteria = screening.available.filter((s) => s.command === 'RecordEligibilityCriterion');
    expect(criteria).toHaveLength(21);
    expect(criteria[0]).toMatchObject({ criterionId: 'age-18-or-over', label: 'Record the eligibility criterion "Aged 18 or over" with evidence', signatureMeaning: 'authorship' });
    expect(screening.available).toContainEqual(expect.objectContaining({ command: 'RecordAssessment', timepoint: 'baseline', instrument: 'CAPS-5' }));
    expect(screening.blocked).toContainEqual(expect.objectContaining({ command: 'DetermineEligibility', roles: ['physician'], signatureMeaning: 'approval' }));
    // Before consent, the other screening steps are refused as decide refuses them.
    expect(availableSteps(given(start(MDMA)), at(0)).blocked).toContainEqual(
      expect.objectContaining({ command: 'RecordEligibilityCriterion', reason: 'STEP_OUT_OF_ORDER', message: 'Informed consent must be recorded before this step.' }),
    );
    const visit = availableSteps(given(...mdmaPrepared(), cmd('StartSession', { sessionKey: 'dosing-1' }, 'therapist', at(28, '08:00'))), at(28, '08:01'));
    expect(visit.available).toContainEqual(expect.objectContaining({ command: 'RecordAssessment', sessionKey: 'dosing-1', timepoint: 'dosing-1', instrument: 'C-SSRS' }));
    expect(visit.blocked).toContainEqual(expect.objectContaining({ command: 'AdministerDose', roles: ['physician'], signatureMeaning: 'responsibility' }));
  });

  it('gives visits their earliest and latest start, the washout end included, and links the deadline to its due date', () => {
    const prepared = given(...mdmaPrepared());
    // dosing-1 has no interval, but waits for the washout (ends on day 20): schedulable from then, not before.
    const early = availableSteps(prepared, at(19));
    expect(early.available).toContainEqual(expect.objectContaining({ command: 'ScheduleSession', sessionKey: 'dosing-1', earliest: at(20, '00:00') }));
    expect(early.blocked).toContainEqual(expect.objectContaining({ command: 'StartSession', sessionKey: 'dosing-1', reason: 'WASHOUT_INCOMPLETE', earliest: at(20, '00:00') }));
    const afterDosing = given(...mdmaPrepared(), ...mdmaDosing('dosing-1', 28, 80));
    const steps = availableSteps(afterDosing, at(28, '18:00'));
    const start = steps.blocked.find((s) => s.command === 'StartSession')!;
    expect(start).toMatchObject({ sessionKey: 'integration-1.1', earliest: at(28, '20:00'), latest: at(29, '20:00'), roles: ['therapist', 'physician'] });
    expect(steps.due.find((d) => d.key === start.dueKey)).toMatchObject({ label: 'Latest start of Integration session 1.1', dueAt: at(29, '20:00') });
    // Once the window has closed the visit can no longer be scheduled either: decide refuses any time from now on.
    const late = availableSteps(afterDosing, at(30));
    expect(late.blocked).toContainEqual(expect.objectContaining({ command: 'ScheduleSession', sessionKey: 'integration-1.1', reason: 'WINDOW_CLOSED', latest: at(29, '20:00') }));
    expect(late.blocked).toContainEqual(expect.objectContaining({ command: 'StartSession', sessionKey: 'integration-1.1', reason: 'WINDOW_CLOSED' }));
  });

  it('blocks the supplemental dose until its window opens, with its earliest and latest time, then offers it', () => {
    const dosed = given(...mdmaPrepared(), ...mdmaDosingStart('dosing-1', 28, 80));
    const supplement = (now: string) =>
      [...availableSteps(dosed, now).available, ...availableSteps(dosed, now).blocked].find((s) => s.command === 'AdministerSupplementalDose');
    expect(supplement(at(28, '09:00'))).toMatchObject({
      reason: 'INTERVAL_NOT_MET',
      earliest: at(28, '10:00'),
      latest: at(28, '11:00'),
      roles: ['physician'],
      signatureMeaning: null,
    });
    expect(supplement(at(28, '10:15'))).not.toHaveProperty('reason');
    expect(supplement(at(28, '10:15'))).toMatchObject({ earliest: at(28, '10:00'), latest: at(28, '11:00') });
    expect(supplement(at(28, '11:30'))).toMatchObject({ reason: 'WINDOW_CLOSED' });
  });

  it('gives the discharge its earliest time: blocked for the minimum monitoring, then until the visit is ready', () => {
    const dosed = given(...mdmaPrepared(), ...mdmaDosingStart('dosing-1', 28, 80));
    const discharge = (state: typeof dosed, now: string) =>
      [...availableSteps(state, now).available, ...availableSteps(state, now).blocked].find((s) => s.command === 'DischargePatient');
    expect(discharge(dosed, at(28, '09:00'))).toMatchObject({ reason: 'MONITORING_INCOMPLETE', earliest: at(28, '16:30'), roles: ['physician', 'therapist'] });
    expect(discharge(dosed, at(28, '16:35'))).toMatchObject({ reason: 'STEP_OUT_OF_ORDER', earliest: at(28, '16:30') });
    const ready = given(...mdmaPrepared(), ...mdmaDosingStart('dosing-1', 28, 80), ...mdmaDosingEnd('dosing-1', 28, 80).slice(0, 3));
    expect(discharge(ready, at(28, '16:45'))).toEqual(expect.objectContaining({ earliest: at(28, '16:30') }));
    expect(discharge(ready, at(28, '16:45'))).not.toHaveProperty('reason');
  });

  it('gives the monitoring form its deadline, linked to its due date, and the signature it needs', () => {
    const visited = given(...esketamineEligible(), ...esketamineVisit('treatment-1', 7, false));
    const form = availableSteps(visited, at(8)).available.find((s) => s.command === 'SubmitMonitoringForm')!;
    expect(form).toMatchObject({ sessionKey: 'treatment-1', latest: at(14, '11:20'), roles: ['physician', 'coordinator'], signatureMeaning: 'authorship' });
    expect(availableSteps(visited, at(8)).due.find((d) => d.key === form.dueKey)).toMatchObject({ label: 'Patient monitoring form' });
  });

  it('lists for the worklist the real earliest and due time of each step, the supplemental dose and the pending discharge included', () => {
    const dosed = given(...mdmaPrepared(), ...mdmaDosingStart('dosing-1', 28, 80));
    const items = worklistItems(dosed, at(28, '08:30'));
    expect(items).toContainEqual({
      key: 'due|AdministerSupplementalDose|dosing-1|Supplemental dose decision',
      label: 'Supplemental dose decision',
      command: 'AdministerSupplementalDose',
      sessionKey: 'dosing-1',
      earliestAt: at(28, '10:00'),
      dueAt: at(28, '11:00'),
      openEnded: false,
    });
    expect(items).toContainEqual({
      key: 'step|DischargePatient|dosing-1||',
      label: 'Discharge the patient',
      command: 'DischargePatient',
      sessionKey: 'dosing-1',
      earliestAt: at(28, '16:30'),
      dueAt: at(28, '16:30'),
      openEnded: true,
    });
    // Between visits: the next visit's window, once, with its earliest time; scheduling it is a line of its own.
    const between = worklistItems(given(...mdmaPrepared(), ...mdmaDosing('dosing-1', 28, 80)), at(28, '17:00'));
    expect(between).toContainEqual(expect.objectContaining({ command: 'StartSession', label: 'Latest start of Integration session 1.1', earliestAt: at(28, '20:00'), dueAt: at(29, '20:00') }));
    expect(between).toContainEqual(expect.objectContaining({ command: 'ScheduleSession', earliestAt: at(28, '20:00'), dueAt: at(29, '20:00'), openEnded: false }));
    expect(between.filter((i) => i.command === 'StartSession')).toHaveLength(1);
    // A visit that waits only for the washout is no line of its own (no deadline): only the eligibility lapse is.
    expect(worklistItems(given(...mdmaPrepared()), at(19)).map((i) => i.label)).toEqual(['Eligibility lapses unless Dosing session 1 starts']);
    // A closed course has none.
    expect(worklistItems(given(...esketamineEligible(), cmd('WithdrawCourse', { reason: 'other', ...signed('responsibility') }, 'physician', at(1))), at(2))).toEqual([]);
  });
});
