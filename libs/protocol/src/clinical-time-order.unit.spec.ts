import { decide, ORDER_TOLERANCE_MINUTES, type CourseCommand, type CourseState } from '.';
import {
  apply,
  at,
  cmd,
  cssrs,
  determineEligible,
  esketamineEligible,
  esketamineVisit,
  given,
  MDMA,
  mdmaDosingStart,
  mdmaPrepared,
  mdmaScreening,
  signed,
  start,
  vitals,
} from './testing/course.fixtures';

/*
 * One test per clinical-time order rule not covered in clinical-time.unit.spec.ts: each rule refuses a
 * time before the step it follows (CLINICAL_TIME_INVALID, naming what it follows) and takes the same
 * step timed just after it. Both protocols.
 */

const decision = (state: CourseState, command: CourseCommand) => decide(command, state);
const at_ = (command: CourseCommand, performedAt: string): CourseCommand =>
  ({ ...command, data: { ...command.data, performedAt } }) as CourseCommand;

/** Refused before `bound` (beyond the minute's tolerance) naming `what`; accepted at `bound`. */
const ordered = (state: CourseState, command: CourseCommand, bound: string, what: string) => {
  const early = new Date(Date.parse(bound) - (ORDER_TOLERANCE_MINUTES + 1) * 60_000).toISOString();
  const refused = decision(state, at_(command, early));
  expect(refused).toMatchObject({ ok: false, rejection: { code: 'CLINICAL_TIME_INVALID', details: { notBefore: bound } } });
  expect(refused.ok ? '' : refused.rejection.message).toContain(what);
  const taken = decision(state, at_(command, bound));
  if (!taken.ok) throw new Error(`expected acceptance at ${bound}: ${taken.rejection.code} ${taken.rejection.message}`);
};

describe('order of clinical times, rule by rule (MDMA-AT)', () => {
  const screened = given(...mdmaScreening());
  const prepared = given(...mdmaPrepared());
  const inVisit = apply(prepared, cmd('StartSession', { sessionKey: 'dosing-1' }, 'therapist', at(28, '08:00')));
  const dosed = given(...mdmaPrepared(), ...mdmaDosingStart('dosing-1', 28, 80));

  it('determines eligibility after the last screening record', () => {
    ordered(screened, cmd('DetermineEligibility', { eligible: true, ...signed('approval') }, 'physician', at(0, '13:00')), at(0, '12:20'), 'the last screening record');
  });

  it('records a visit assessment after the start of the visit', () => {
    ordered(inVisit, cssrs('dosing-1', at(28, '08:30')), at(28, '08:00'), 'the start of the visit');
  });

  it('records pre-dose checks after the start of the visit', () => {
    ordered(inVisit, cmd('RecordPreDoseChecks', { sessionKey: 'dosing-1', fasting: true, pregnancyTest: 'negative' }, 'therapist', at(28, '08:30')), at(28, '08:00'), 'the start of the visit');
  });

  it('cancels a visit in progress after it started', () => {
    ordered(inVisit, cmd('CancelSession', { sessionKey: 'dosing-1', reason: 'Fire alarm' }, 'therapist', at(28, '08:30')), at(28, '08:00'), 'the start of the visit');
  });

  it('withholds the supplemental dose after the initial dose', () => {
    ordered(dosed, cmd('WithholdSupplementalDose', { sessionKey: 'dosing-1', reason: 'Declined' }, 'therapist', at(28, '09:00')), at(28, '08:30'), 'the initial dose');
  });

  it('marks a visit missed only from its scheduled time', () => {
    const scheduled = apply(prepared, cmd('ScheduleSession', { sessionKey: 'dosing-1', scheduledFor: at(28, '08:00') }, 'coordinator', at(22)));
    ordered(scheduled, cmd('MarkSessionMissed', { sessionKey: 'dosing-1', reason: 'Did not attend' }, 'coordinator', at(28, '08:45')), at(28, '08:00'), 'the scheduled time');
  });

  it('completes a visit after its last record: start, last vital signs, discharge', () => {
    const afterVitals = apply(inVisit, vitals('dosing-1', 'pre_dose', at(28, '08:20')));
    const withCssrs = apply(afterVitals, cssrs('dosing-1', at(28, '08:25')));
    // Not dosed, so the visit may complete; its last reading is 08:20.
    ordered(withCssrs, cmd('CompleteSession', { sessionKey: 'dosing-1' }, 'therapist', at(28, '09:00')), at(28, '08:20'), 'the last vital signs');
  });

  it('withdraws a course only after it started', () => {
    const started = given(start(MDMA, at(0, '08:00')));
    ordered(started, cmd('WithdrawCourse', { reason: 'participant_decision', ...signed('responsibility') }, 'physician', at(0, '09:00')), at(0, '08:00'), 'the start of the course');
  });

  it('starts a visit after the eligibility determination', () => {
    const eligible = given(...mdmaScreening(), determineEligible(at(0, '13:00')));
    ordered(eligible, cmd('StartSession', { sessionKey: 'prep-1' }, 'therapist', at(0, '14:00')), at(0, '13:00'), 'the eligibility determination');
  });
});

describe('order of clinical times, rule by rule (esketamine)', () => {
  const visit = esketamineVisit('treatment-1', 7, false);
  const checked = given(...esketamineEligible(), ...visit.slice(0, 3));
  const dosed = given(...esketamineEligible(), ...visit.slice(0, 4));

  it('gives the dose after the pre-dose checks', () => {
    ordered(checked, cmd('AdministerDose', { sessionKey: 'treatment-1', amountMg: 56 }, 'physician', at(7, '09:30')), at(7, '09:10'), 'the pre-dose checks');
  });

  it('times a post-dose reading after the dose', () => {
    const reading = cmd('RecordVitals', { sessionKey: 'treatment-1', timing: 'post_dose', systolic: 120, diastolic: 80, heartRate: 70 }, 'physician', at(7, '09:40'));
    const early = { ...reading, data: { ...reading.data, measuredAt: at(7, '09:12') } } as CourseCommand;
    expect(decision(dosed, early)).toMatchObject({ ok: false, rejection: { code: 'CLINICAL_TIME_INVALID', details: { field: 'data.measuredAt', notBefore: at(7, '09:15') } } });
    expect(decision(dosed, { ...reading, data: { ...reading.data, measuredAt: at(7, '09:16') } } as CourseCommand)).toMatchObject({ ok: true });
  });

  it('discharges after the last reading of the visit', () => {
    const ready = given(...esketamineEligible(), ...visit.slice(0, 6));
    ordered(ready, cmd('DischargePatient', { sessionKey: 'treatment-1', criteriaMet: true, escortRef: 'ESC-2' }, 'physician', at(7, '11:40')), at(7, '11:15'), 'the last vital signs');
  });
});
