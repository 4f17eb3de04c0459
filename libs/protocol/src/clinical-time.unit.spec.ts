import { CLINICAL_TIME_FIELDS, clinicalTimeOfEvent, lateEntryOfEvent, withClinicalTime } from './clinical-time';
import { CLOCK_SKEW_TOLERANCE_MINUTES } from './clinical-time.rules';
import { COMMAND_TYPES } from './parse-command';
import type { CourseCommand } from './command';
import { decide } from './decide';
import { availableSteps } from './available-steps';
import type { CourseState } from './state';
import {
  accepted,
  apply,
  at,
  cmd,
  consent,
  criterion,
  esketamineEligible,
  esketamineVisit,
  given,
  MDMA,
  mdmaDosingStart,
  mdmaPrepared,
  signed,
  start,
  vitals,
} from './testing/course.fixtures';
import { addMinutes } from './time';

const refusal = (state: CourseState, command: CourseCommand, options?: { clinicalTimeRules: boolean }) => {
  const decision = decide(command, state, options);
  return decision.ok ? undefined : decision.rejection;
};

/** A command entered at `enteredAt` that happened at `performedAt`. */
const timed = (command: CourseCommand, performedAt: string, enteredAt: string, lateEntryReason?: string): CourseCommand =>
  ({
    ...command,
    data: { ...command.data, performedAt, ...(lateEntryReason ? { lateEntryReason } : {}) },
    metadata: { ...command.metadata, now: enteredAt },
  }) as CourseCommand;

const DAY = 28;
const prepared = given(...mdmaPrepared());
const started = apply(prepared, cmd('StartSession', { sessionKey: 'dosing-1' }, 'therapist', at(DAY, '08:00')));
const [, preVitals, checks, cssrs] = mdmaDosingStart('dosing-1', DAY, 80);
const readyToDose = [preVitals!, checks!, cssrs!].reduce(apply, started);
const dose = (now: string) => cmd('AdministerDose', { sessionKey: 'dosing-1', amountMg: 80, ...signed('responsibility') }, 'physician', now);
const supplement = (now: string) => cmd('AdministerSupplementalDose', { sessionKey: 'dosing-1', amountMg: 40 }, 'physician', now);
const discharge = (now: string) =>
  cmd('DischargePatient', { sessionKey: 'dosing-1', criteriaMet: true, escortRef: 'ESC-1', overnightStay: true }, 'therapist', now);

describe('clinical-time fields', () => {
  it('names a clinical-time field, or none, for every command type', () => {
    expect(Object.keys(CLINICAL_TIME_FIELDS).sort()).toEqual([...COMMAND_TYPES].sort());
    expect(CLINICAL_TIME_FIELDS.AdministerDose).toEqual({ field: 'performedAt', lateEntry: true });
    expect(CLINICAL_TIME_FIELDS.RecordVitals).toEqual({ field: 'measuredAt', lateEntry: true });
    expect(CLINICAL_TIME_FIELDS.ReportAdverseEvent).toEqual({ field: 'onsetAt', lateEntry: false });
    expect(CLINICAL_TIME_FIELDS.ClassifyAdverseEvent).toBeNull();
  });

  it('names the clinical time a signed step leaves out, and only where it defaults to the entry time', () => {
    expect(withClinicalTime('AdministerDose', { sessionKey: 'dosing-1' }, at(1))).toEqual({ sessionKey: 'dosing-1', performedAt: at(1) });
    expect(withClinicalTime('RecordVitals', { measuredAt: at(0) }, at(1))).toEqual({ measuredAt: at(0) });
    expect(withClinicalTime('ClassifyAdverseEvent', { serious: true }, at(1))).toEqual({ serious: true });
    expect(withClinicalTime('ReportAdverseEvent', { description: 'x' }, at(1))).toEqual({ description: 'x' });
  });

  it('reads the clinical time of stored events, old ones included', () => {
    expect(clinicalTimeOfEvent('DoseAdministered', { performedAt: at(1) }, at(2))).toBe(at(1));
    expect(clinicalTimeOfEvent('DoseAdministered', {}, at(2))).toBe(at(2));
    expect(clinicalTimeOfEvent('VitalsRecorded', { measuredAt: at(1) }, at(2))).toBe(at(1));
    expect(clinicalTimeOfEvent('SafetyHoldPlaced', {}, at(2))).toBeNull();
  });
});

describe('a dose entered after the fact (MDMA-AT)', () => {
  it('is recorded at the time it was given, with the entry time in the metadata', () => {
    const [event] = accepted(readyToDose, timed(dose(at(DAY, '09:10')), at(DAY, '08:30'), at(DAY, '09:10')));
    expect(event).toMatchObject({ type: 'DoseAdministered', data: { performedAt: at(DAY, '08:30') }, metadata: { occurredAt: at(DAY, '09:10') } });
    expect(event!.data).not.toHaveProperty('lateEntryReason');
  });

  it('needs a reason when entered more than 60 minutes after it happened, and flags the late entry', () => {
    const late = timed(dose(at(DAY, '10:00')), at(DAY, '08:30'), at(DAY, '10:00'));
    expect(refusal(readyToDose, late)).toMatchObject({ code: 'LATE_ENTRY_REASON_REQUIRED', details: { minutesAfter: 90, lateEntryAfterMinutes: 60 } });
    const [event] = accepted(readyToDose, timed(dose(at(DAY, '10:00')), at(DAY, '08:30'), at(DAY, '10:00'), 'Entered after the emergency'));
    expect(event!.data).toMatchObject({ performedAt: at(DAY, '08:30'), lateEntryReason: 'Entered after the emergency' });
    expect(lateEntryOfEvent(event!.type, event!.data, event!.metadata.occurredAt)).toEqual({ reason: 'Entered after the emergency', minutesAfter: 90 });
    // Exactly 60 minutes is still contemporaneous; a reason then is refused rather than silently dropped.
    expect(refusal(readyToDose, timed(dose(at(DAY, '09:30')), at(DAY, '08:30'), at(DAY, '09:30'), 'x'))).toMatchObject({ code: 'OUTCOME_INVALID' });
    accepted(readyToDose, timed(dose(at(DAY, '09:30')), at(DAY, '08:30'), at(DAY, '09:30')));
  });

  it('measures the supplemental window and the 8 hours of monitoring from the dose time, not the entry time', () => {
    const dosed = apply(readyToDose, timed(dose(at(DAY, '09:30')), at(DAY, '08:30'), at(DAY, '09:30')));
    // 90 minutes after the dose was given, 60 after it was entered: inside the window.
    const [given90] = accepted(dosed, supplement(at(DAY, '10:00')));
    expect(given90!.data).toMatchObject({ minutesAfterInitialDose: 90 });
    const withSupplement = apply(apply(dosed, supplement(at(DAY, '10:00'))), vitals('dosing-1', 'post_dose', at(DAY, '10:10')));
    const ready = apply(withSupplement, vitals('dosing-1', 'discharge', at(DAY, '16:25')));
    const [discharged] = accepted(ready, discharge(at(DAY, '16:30')));
    expect(discharged!.data).toMatchObject({ minutesMonitored: 480, performedAt: at(DAY, '16:30') });
    expect(availableSteps(ready, at(DAY, '16:00')).blocked.find((s) => s.command === 'DischargePatient')).toMatchObject({
      earliest: at(DAY, '16:30'),
      reason: 'MONITORING_INCOMPLETE',
    });
  });
});

describe('the order of clinical times', () => {
  const dosed = apply(readyToDose, dose(at(DAY, '08:30')));

  it('refuses a time in the future beyond the clock skew', () => {
    const ahead = (minutes: number) => timed(dose(at(DAY, '08:30')), addMinutes(at(DAY, '08:30'), minutes), at(DAY, '08:30'));
    expect(refusal(readyToDose, ahead(CLOCK_SKEW_TOLERANCE_MINUTES + 1))).toMatchObject({ code: 'CLINICAL_TIME_INVALID', details: { field: 'data.performedAt' } });
    accepted(readyToDose, ahead(CLOCK_SKEW_TOLERANCE_MINUTES));
  });

  it('refuses a dose timed before its pre-dose checks or pre-dose vital signs', () => {
    expect(refusal(readyToDose, timed(dose(at(DAY, '08:30')), at(DAY, '08:07'), at(DAY, '08:30')))).toMatchObject({
      code: 'CLINICAL_TIME_INVALID',
      details: { notBefore: at(DAY, '08:10') },
    });
    expect(refusal(readyToDose, timed(dose(at(DAY, '08:30')), at(DAY, '08:02'), at(DAY, '08:30')))?.message).toContain('before the pre-dose');
  });

  it('keeps vital signs inside their visit: post-dose after the dose, pre-dose before it, none after discharge', () => {
    const reading = (timing: 'pre_dose' | 'post_dose', measuredAt: string, now: string) =>
      cmd('RecordVitals', { sessionKey: 'dosing-1', timing, systolic: 120, diastolic: 80, heartRate: 70, measuredAt }, 'therapist', now);
    expect(refusal(dosed, reading('post_dose', at(DAY, '08:20'), at(DAY, '09:00')))).toMatchObject({ code: 'CLINICAL_TIME_INVALID' });
    expect(refusal(dosed, reading('post_dose', at(DAY, '07:50'), at(DAY, '09:00')))?.message).toContain('the start of the visit');
    // A pre-dose reading from the paper sheet, entered after the dose, is one measured before it.
    accepted(dosed, reading('pre_dose', at(DAY, '08:20'), at(DAY, '09:00')));
    expect(refusal(dosed, reading('pre_dose', at(DAY, '08:40'), at(DAY, '09:00')))).toMatchObject({ code: 'STEP_OUT_OF_ORDER' });
    const discharged = [
      supplement(at(DAY, '10:30')),
      vitals('dosing-1', 'post_dose', at(DAY, '10:40')),
      vitals('dosing-1', 'discharge', at(DAY, '16:40')),
      discharge(at(DAY, '16:45')),
    ].reduce(apply, dosed);
    expect(refusal(discharged, cmd('RecordVitals', { sessionKey: 'dosing-1', timing: 'other', systolic: 120, diastolic: 80, heartRate: 70 }, 'therapist', at(DAY, '16:50')))).toMatchObject({
      code: 'CLINICAL_TIME_INVALID',
      details: { notAfter: at(DAY, '16:45') },
    });
    // Discharge cannot precede the last reading of the visit either.
    const beforeLast = [supplement(at(DAY, '10:30')), vitals('dosing-1', 'post_dose', at(DAY, '10:40')), vitals('dosing-1', 'discharge', at(DAY, '16:50'))].reduce(apply, dosed);
    expect(refusal(beforeLast, timed(discharge(at(DAY, '17:00')), at(DAY, '16:45'), at(DAY, '17:00')))?.message).toContain('the last vital signs');
  });

  it('refuses a visit started before the previous one ended, and screening before consent', () => {
    expect(refusal(prepared, timed(cmd('StartSession', { sessionKey: 'dosing-1' }, 'therapist', at(21, '11:00')), at(21, '10:00'), at(21, '11:00')))?.message).toContain(
      'the end of the previous visit',
    );
    const consented = given(start(MDMA), consent(at(0, '09:00')));
    expect(refusal(consented, timed(criterion('age-18-or-over', 'pass', at(0, '09:30')), at(0, '08:30'), at(0, '09:30')))?.message).toContain('informed consent');
    accepted(consented, timed(criterion('age-18-or-over', 'pass', at(0, '09:30')), at(0, '09:05'), at(0, '09:30')));
  });

  it('refuses consent and adverse-event onset before the course started, unless the course start names its own time', () => {
    const lateStart = given(start(MDMA, at(0, '10:00')));
    expect(refusal(lateStart, consent(at(0, '10:05'), at(0, '09:30')))).toMatchObject({ code: 'CLINICAL_TIME_INVALID' });
    const onset = cmd('ReportAdverseEvent', { description: 'Headache', onsetAt: at(0, '09:00') }, 'therapist', at(0, '10:10'));
    expect(refusal(lateStart, onset)?.message).toContain('the start of the course');
    const startedEarlier = given(timed(start(MDMA, at(0, '10:00')), at(0, '09:00'), at(0, '10:00')));
    expect(startedEarlier.startedAt).toBe(at(0, '09:00'));
    accepted(startedEarlier, consent(at(0, '10:05'), at(0, '09:30')));
    // The onset is when the event began; reporting it hours later is not a late entry.
    accepted(given(start(MDMA, at(0, '08:00'))), onset);
  });

  it('refuses a visit scheduled in the past, pointing to recording it with its times', () => {
    const schedule = (scheduledFor: string) => cmd('ScheduleSession', { sessionKey: 'dosing-1', scheduledFor }, 'coordinator', at(DAY - 1, '12:00'));
    expect(refusal(prepared, schedule(at(DAY - 1, '09:00')))).toMatchObject({ code: 'CLINICAL_TIME_INVALID', details: { field: 'data.scheduledFor' } });
    expect(refusal(prepared, schedule(at(DAY - 1, '09:00')))?.message).toContain('record it as started and completed');
    accepted(prepared, schedule(at(DAY, '08:00')));
  });

  it('decides as before in a course run that predates the rules, unless the command names a clinical time', () => {
    const legacy = { clinicalTimeRules: false };
    const schedule = cmd('ScheduleSession', { sessionKey: 'dosing-1', scheduledFor: at(DAY - 1, '09:00') }, 'coordinator', at(DAY - 1, '12:00'));
    expect(refusal(prepared, schedule, legacy)).toBeUndefined();
    expect(refusal(given(start(MDMA, at(0, '10:00'))), consent(at(0, '10:05'), at(0, '09:30')), legacy)).toBeUndefined();
    expect(refusal(readyToDose, timed(dose(at(DAY, '10:00')), at(DAY, '08:30'), at(DAY, '10:00')), legacy)).toMatchObject({ code: 'LATE_ENTRY_REASON_REQUIRED' });
  });
});

describe('clinical times under the esketamine protocol', () => {
  const visit = esketamineVisit('treatment-1', 7, false);
  const eligible = given(...esketamineEligible());
  const dosedK = given(...esketamineEligible(), ...visit.slice(0, 4));

  it('measures the 2 hours of monitoring from the dose time and flags late vital signs', () => {
    const lateReading = cmd(
      'RecordVitals',
      { sessionKey: 'treatment-1', timing: 'post_dose', systolic: 130, diastolic: 85, heartRate: 80, measuredAt: at(7, '09:55') },
      'physician',
      at(7, '11:00'),
    );
    expect(refusal(dosedK, lateReading)).toMatchObject({ code: 'LATE_ENTRY_REASON_REQUIRED', details: { minutesAfter: 65 } });
    const [event] = accepted(dosedK, { ...lateReading, data: { ...lateReading.data, lateEntryReason: 'Monitor printout' } } as CourseCommand);
    expect(event!.data).toMatchObject({ measuredAt: at(7, '09:55'), lateEntryReason: 'Monitor printout' });
    expect(lateEntryOfEvent(event!.type, event!.data, event!.metadata.occurredAt)).toEqual({ reason: 'Monitor printout', minutesAfter: 65 });
    const ready = [visit[4]!, visit[5]!].reduce(apply, dosedK);
    // Dose at 09:15: discharge at 11:15 is 120 minutes later, entered at 11:40.
    const dischargeK = cmd('DischargePatient', { sessionKey: 'treatment-1', criteriaMet: true, escortRef: 'ESC-2', performedAt: at(7, '11:15') }, 'physician', at(7, '11:40'));
    expect(accepted(ready, dischargeK)[0]!.data).toMatchObject({ minutesMonitored: 120 });
    expect(refusal(ready, { ...dischargeK, data: { ...dischargeK.data, performedAt: at(7, '11:10') } } as CourseCommand)).toMatchObject({ code: 'CLINICAL_TIME_INVALID' });
  });

  it('times the start of a treatment visit after the eligibility determination', () => {
    const startAt = (performedAt: string) => timed(cmd('StartSession', { sessionKey: 'treatment-1' }, 'physician', at(0, '13:30')), performedAt, at(0, '13:30'));
    expect(refusal(eligible, startAt(at(0, '12:30')))?.message).toContain('the eligibility determination');
    accepted(eligible, startAt(at(0, '13:10')));
  });
});
