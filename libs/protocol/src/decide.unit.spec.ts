import type { CourseCommand } from './command';
import { initialState } from './state';
import { mdmaAtPtsdV3 } from './definitions/mdma-at-ptsd.v3';
import { missingScreening } from './areas/screening/screening.rules';
import {
  accepted,
  actorFor,
  apply,
  at,
  caps5,
  cmd,
  consent,
  criterion,
  cssrs,
  determineEligible,
  ESKETAMINE,
  esketamineEligible,
  esketamineVisit,
  given,
  givenOn,
  MDMA,
  mdmaDosing,
  mdmaDosingEnd,
  mdmaDosingStart,
  mdmaPrepared,
  mdmaScreening,
  monitoringForm,
  refused,
  signed,
  simpleVisit,
  start,
  vitals,
} from './testing/course.fixtures';


const as = (command: CourseCommand, role: Parameters<typeof actorFor>[0], siteId?: string): CourseCommand => ({
  ...command,
  metadata: { ...command.metadata, actor: actorFor(role, siteId) },
});

const started = given(start(MDMA));
const screened = given(...mdmaScreening());
const eligible = given(...mdmaScreening(), determineEligible());
const prepared = given(...mdmaPrepared());
const dosed = given(...mdmaPrepared(), ...mdmaDosingStart('dosing-1', 28, 80));

describe('shared preconditions', () => {
  it('starts a course and pins the protocol version', () => {
    expect(accepted(initialState(), start(MDMA))).toMatchObject([{ type: 'CourseStarted', schemaVersion: 2, data: { performedAt: at(0, '08:00'),  protocolVersion: 3 } }]);
    refused(started, start(MDMA), 'COURSE_ALREADY_STARTED');
  });

  it('refuses an unknown protocol and a start for another site', () => {
    refused(initialState(), start('no-such-protocol'), 'PROTOCOL_UNKNOWN');
    refused(initialState(), as(start(MDMA), 'coordinator', 'site-b'), 'ROLE_NOT_PERMITTED');
  });

  it('hides a course that is not started or belongs to another site', () => {
    refused(initialState(), consent(), 'COURSE_NOT_FOUND');
    refused(started, as(consent(), 'coordinator', 'site-b'), 'COURSE_NOT_FOUND');
    accepted(started, consent());
  });

  it('refuses a stale expected version and accepts the current one', () => {
    const stale = { ...consent(), metadata: { ...consent().metadata, expectedVersion: 0 } };
    expect(refused(started, stale, 'VERSION_CONFLICT')?.details).toEqual({ currentVersion: 1 });
    accepted(started, { ...stale, metadata: { ...stale.metadata, expectedVersion: 1 } });
  });

  it('takes roles from the protocol definition', () => {
    const clearance = cmd('RecordMedicalClearance', { cleared: true, evidence: 'ECG normal', ...signed('approval') }, 'coordinator', at(0, '12:00'));
    expect(refused(given(start(MDMA), consent()), clearance, 'ROLE_NOT_PERMITTED')?.details).toMatchObject({ allowedRoles: ['physician'] });
    accepted(given(start(MDMA), consent()), as(clearance, 'physician'));
    refused(started, as(consent(), 'auditor'), 'ROLE_NOT_PERMITTED');
  });

  it('requires the signature the protocol asks for, with its meaning, and stores the manifestation', () => {
    const state = given(start(MDMA), consent());
    const unsigned = cmd('RecordMedicalClearance', { cleared: true, evidence: 'ECG normal' }, 'physician', at(0, '12:00'));
    refused(state, unsigned, 'SIGNATURE_REQUIRED');
    refused(state, cmd('RecordMedicalClearance', { cleared: true, evidence: 'x', ...signed('review') }, 'physician', at(0, '12:00')), 'SIGNATURE_REQUIRED');
    const [event] = accepted(state, cmd('RecordMedicalClearance', { cleared: true, evidence: 'x', ...signed('approval') }, 'physician', at(0, '12:00')));
    expect(event!.data).toMatchObject({ signature: { signerId: 'u-physician', printedName: 'Test physician', signedAt: at(0, '12:00'), meaning: 'approval' } });
  });

  it('refuses anything on a closed course', () => {
    const withdrawn = given(start(MDMA), cmd('WithdrawCourse', { reason: 'other', note: 'moved away', ...signed('responsibility') }, 'coordinator', at(1)));
    refused(withdrawn, consent(), 'COURSE_CLOSED');
  });

  it('records nothing about the patient before consent', () => {
    refused(started, cmd('RecordEmergencyContact', { contactRef: 'EC-1' }, 'coordinator', at(0)), 'STEP_OUT_OF_ORDER');
    refused(started, criterion('age-18-or-over'), 'STEP_OUT_OF_ORDER');
    accepted(given(start(MDMA), consent()), cmd('RecordEmergencyContact', { contactRef: 'EC-1' }, 'coordinator', at(0)));
  });
});

describe('screening', () => {
  const consented = given(start(MDMA), consent());

  it('records consent once, not in the future', () => {
    refused(consented, consent(), 'STEP_ALREADY_RECORDED');
    refused(started, cmd('RecordInformedConsent', { consentFormVersion: 'v3', consentedAt: at(2) }, 'coordinator', at(0)), 'CLINICAL_TIME_INVALID');
    expect(accepted(started, consent())[0]).toMatchObject({ schemaVersion: 3, data: { consentsToRecording: null } });
  });

  it('records the emergency contact once', () => {
    const withContact = apply(consented, cmd('RecordEmergencyContact', { contactRef: 'EC-1' }, 'coordinator', at(0)));
    refused(withContact, cmd('RecordEmergencyContact', { contactRef: 'EC-2' }, 'coordinator', at(0)), 'STEP_ALREADY_RECORDED');
  });

  it('records only criteria the protocol lists', () => {
    accepted(consented, criterion('age-18-or-over'));
    refused(consented, criterion('likes-cats'), 'STEP_UNKNOWN');
  });

  it('needs an end date for a required washout and none otherwise', () => {
    refused(consented, cmd('RecordMedicationWashout', { required: true }, 'physician', at(0)), 'OUTCOME_INVALID');
    refused(consented, cmd('RecordMedicationWashout', { required: false, endsAt: at(3) }, 'physician', at(0)), 'OUTCOME_INVALID');
    accepted(consented, cmd('RecordMedicationWashout', { required: false }, 'physician', at(0)));
  });

  it('determines eligibility only once screening is complete', () => {
    expect(refused(consented, determineEligible(), 'STEP_OUT_OF_ORDER')?.details).toMatchObject({ missing: expect.arrayContaining(['emergency_contact', 'criteria']) });
    expect(accepted(screened, determineEligible())).toMatchObject([{ type: 'EligibilityDetermined', data: { eligible: true } }]);
    expect(eligible.phase).toBe('preparation');
  });

  it('applies the baseline CAPS-5 threshold (total at least 28)', () => {
    expect(refused(given(...mdmaScreening(27)), determineEligible(), 'INELIGIBLE')?.details).toEqual({ reasons: ['baseline CAPS-5 total below 28'] });
    accepted(given(...mdmaScreening(28)), determineEligible());
  });

  it('refuses eligibility when a criterion fails, clearance is refused or the pregnancy test is positive', () => {
    refused(given(...mdmaScreening(), criterion('liver-disease', 'fail')), determineEligible(), 'INELIGIBLE');
    refused(given(...mdmaScreening(), cmd('RecordMedicalClearance', { cleared: false, evidence: 'QTc 520 ms', ...signed('approval') }, 'physician', at(1))), determineEligible(at(1, '13:00')), 'INELIGIBLE');
    refused(given(...mdmaScreening(), cmd('RecordPregnancyTest', { result: 'positive' }, 'coordinator', at(1))), determineEligible(at(1, '13:00')), 'INELIGIBLE');
  });

  it('closes the course as a screen failure when found ineligible, with a reason', () => {
    refused(screened, cmd('DetermineEligibility', { eligible: false, ...signed('approval') }, 'physician', at(1)), 'OUTCOME_INVALID');
    const failed = apply(screened, cmd('DetermineEligibility', { eligible: false, reason: 'Declined', ...signed('approval') }, 'physician', at(1)));
    expect(failed).toMatchObject({ status: 'withdrawn', closedReason: 'screen_failed', phase: 'closed' });
  });

  it('freezes screening records once eligibility is determined', () => {
    refused(eligible, determineEligible(), 'STEP_ALREADY_RECORDED');
    refused(eligible, criterion('age-18-or-over'), 'STEP_OUT_OF_ORDER');
    refused(eligible, cmd('RecordMedicalClearance', { cleared: true, evidence: 'x', ...signed('approval') }, 'physician', at(1)), 'STEP_OUT_OF_ORDER');
    refused(eligible, cmd('RecordMedicationWashout', { required: false }, 'physician', at(1)), 'STEP_OUT_OF_ORDER');
    refused(eligible, cmd('RecordPregnancyTest', { result: 'negative' }, 'physician', at(1)), 'STEP_OUT_OF_ORDER');
    refused(eligible, caps5('baseline', 40, at(1)), 'STEP_OUT_OF_ORDER');
  });
});

describe('assessments', () => {
  it('records only instruments of the protocol with valid values', () => {
    const consented = given(start(MDMA), consent());
    refused(consented, cmd('RecordAssessment', { instrument: 'PHQ-9', timepoint: 'baseline', values: { total: 3 } }, 'therapist', at(0)), 'STEP_UNKNOWN');
    expect(refused(consented, caps5('baseline', 81, at(0)), 'OUTCOME_INVALID')?.details).toEqual({ problems: [{ field: 'total', problem: 'must be at most 80' }] });
    const missing = cmd('RecordAssessment', { instrument: 'CAPS-5', timepoint: 'baseline', values: { total: 40, extra: 1 } }, 'therapist', at(0));
    expect(refused(consented, missing, 'OUTCOME_INVALID')?.details).toMatchObject({ problems: expect.arrayContaining([{ field: 'ptsdDiagnosis', problem: 'is required' }, { field: 'extra', problem: 'is not recorded by this step' }]) });
    accepted(consented, caps5('baseline', 40, at(0)));
  });

  it('records visit assessments during the visit, once', () => {
    refused(eligible, cssrs('prep-1', at(7)), 'STEP_OUT_OF_ORDER');
    const inVisit = apply(eligible, cmd('StartSession', { sessionKey: 'prep-1' }, 'therapist', at(7)));
    const recorded = apply(inVisit, cssrs('prep-1', at(7, '09:10')));
    refused(recorded, cssrs('prep-1', at(7, '09:20')), 'STEP_ALREADY_RECORDED');
    refused(eligible, cssrs('nowhere', at(7)), 'STEP_UNKNOWN');
  });

  it('records CAPS-5 after dosing session 2 only after that visit and before dosing session 3', () => {
    const afterOne = given(...mdmaPrepared(), ...mdmaDosing('dosing-1', 28, 80));
    refused(afterOne, caps5('caps5-after-dosing-2', 30, at(30)), 'STEP_OUT_OF_ORDER');
    refused(afterOne, cmd('RecordAssessment', { instrument: 'C-SSRS', timepoint: 'caps5-after-dosing-2', values: { suicidalIdeation: false, suicidalBehavior: false } }, 'therapist', at(30)), 'OUTCOME_INVALID');
    const beforeThree = given(
      ...mdmaPrepared(),
      ...mdmaDosing('dosing-1', 28, 80),
      ...simpleVisit('integration-1.1', 29),
      ...simpleVisit('integration-1.2', 36),
      ...simpleVisit('integration-1.3', 43),
      ...mdmaDosing('dosing-2', 56, 120),
      ...simpleVisit('integration-2.1', 57),
      ...simpleVisit('integration-2.2', 64),
      ...simpleVisit('integration-2.3', 71),
    );
    const startThree = cmd('StartSession', { sessionKey: 'dosing-3' }, 'therapist', at(84, '08:00'));
    expect(refused(beforeThree, startThree, 'STEP_OUT_OF_ORDER')?.details).toEqual({ missing: 'caps5-after-dosing-2' });
    const recorded = apply(beforeThree, caps5('caps5-after-dosing-2', 30, at(60)));
    refused(recorded, caps5('caps5-after-dosing-2', 31, at(61)), 'STEP_ALREADY_RECORDED');
    accepted(recorded, startThree);
  });
});

describe('visits: order, gates and intervals', () => {
  it('starts visits in protocol order, one at a time, after eligibility', () => {
    refused(screened, cmd('StartSession', { sessionKey: 'prep-1' }, 'therapist', at(7)), 'STEP_OUT_OF_ORDER');
    refused(eligible, cmd('StartSession', { sessionKey: 'prep-2' }, 'therapist', at(7)), 'STEP_OUT_OF_ORDER');
    refused(eligible, cmd('StartSession', { sessionKey: 'prep-9' }, 'therapist', at(7)), 'STEP_UNKNOWN');
    const inVisit = apply(eligible, cmd('StartSession', { sessionKey: 'prep-1' }, 'therapist', at(7)));
    refused(inVisit, cmd('StartSession', { sessionKey: 'prep-1' }, 'therapist', at(7)), 'STEP_ALREADY_RECORDED');
    expect(inVisit.phase).toBe('preparation');
  });

  it('refuses the first dosing before the washout ends, both to schedule and to start', () => {
    const early = given(
      ...mdmaScreening().map((c) => (c.type === 'RecordMedicationWashout' ? cmd('RecordMedicationWashout', { required: true, endsAt: at(30) }, 'physician', at(0, '12:10')) : c)),
      determineEligible(),
      ...simpleVisit('prep-1', 7),
      ...simpleVisit('prep-2', 14),
      ...simpleVisit('prep-3', 21),
    );
    refused(early, cmd('ScheduleSession', { sessionKey: 'dosing-1', scheduledFor: at(28) }, 'coordinator', at(22)), 'WASHOUT_INCOMPLETE');
    refused(early, cmd('StartSession', { sessionKey: 'dosing-1' }, 'therapist', at(28)), 'WASHOUT_INCOMPLETE');
    accepted(early, cmd('ScheduleSession', { sessionKey: 'dosing-1', scheduledFor: at(31) }, 'coordinator', at(22)));
    accepted(early, cmd('StartSession', { sessionKey: 'dosing-1' }, 'therapist', at(31)));
  });

  it('starts the first integration session the morning after dosing (12-36 h window)', () => {
    const afterDosing = given(...mdmaPrepared(), ...mdmaDosing('dosing-1', 28, 80));
    refused(afterDosing, cmd('StartSession', { sessionKey: 'integration-1.1' }, 'therapist', at(28, '18:00')), 'INTERVAL_NOT_MET');
    refused(afterDosing, cmd('StartSession', { sessionKey: 'integration-1.1' }, 'therapist', at(30, '09:00')), 'WINDOW_CLOSED');
    refused(afterDosing, cmd('ScheduleSession', { sessionKey: 'integration-1.1', scheduledFor: at(30) }, 'coordinator', at(28)), 'WINDOW_CLOSED');
    accepted(afterDosing, cmd('StartSession', { sessionKey: 'integration-1.1' }, 'therapist', at(29, '09:00')));
  });

  it('keeps dosing sessions about 4 weeks apart', () => {
    const cycleOne = given(
      ...mdmaPrepared(),
      ...mdmaDosing('dosing-1', 28, 80),
      ...simpleVisit('integration-1.1', 29),
      ...simpleVisit('integration-1.2', 36),
      ...simpleVisit('integration-1.3', 43),
    );
    refused(cycleOne, cmd('StartSession', { sessionKey: 'dosing-2' }, 'therapist', at(45)), 'INTERVAL_NOT_MET');
    refused(cycleOne, cmd('StartSession', { sessionKey: 'dosing-2' }, 'therapist', at(70)), 'WINDOW_CLOSED');
    accepted(cycleOne, cmd('StartSession', { sessionKey: 'dosing-2' }, 'therapist', at(56)));
  });

  it('completes a visit only with its C-SSRS on record', () => {
    const inVisit = apply(eligible, cmd('StartSession', { sessionKey: 'prep-1' }, 'therapist', at(7)));
    refused(inVisit, cmd('CompleteSession', { sessionKey: 'prep-1' }, 'therapist', at(7, '10:00')), 'STEP_OUT_OF_ORDER');
    refused(eligible, cmd('CompleteSession', { sessionKey: 'prep-1' }, 'therapist', at(7, '10:00')), 'STEP_OUT_OF_ORDER');
    accepted(apply(inVisit, cssrs('prep-1', at(7, '09:10'))), cmd('CompleteSession', { sessionKey: 'prep-1' }, 'therapist', at(7, '10:00')));
  });

  it('puts a missed or cancelled visit back in the queue', () => {
    const scheduled = apply(eligible, cmd('ScheduleSession', { sessionKey: 'prep-1', scheduledFor: at(7) }, 'coordinator', at(1)));
    refused(eligible, cmd('MarkSessionMissed', { sessionKey: 'prep-1', reason: 'No show' }, 'coordinator', at(7)), 'STEP_OUT_OF_ORDER');
    const missed = apply(scheduled, cmd('MarkSessionMissed', { sessionKey: 'prep-1', reason: 'No show' }, 'coordinator', at(7, '12:00')));
    expect(missed.sessions[0]).toMatchObject({ status: 'pending', missedCount: 1, attempt: 2 });
    const cancelled = apply(scheduled, cmd('CancelSession', { sessionKey: 'prep-1', reason: 'Therapist ill' }, 'coordinator', at(6)));
    expect(cancelled.sessions[0]).toMatchObject({ status: 'pending', cancelledCount: 1 });
    refused(eligible, cmd('CancelSession', { sessionKey: 'prep-1', reason: 'x' }, 'coordinator', at(6)), 'STEP_OUT_OF_ORDER');
    refused(dosed, cmd('CancelSession', { sessionKey: 'dosing-1', reason: 'x' }, 'therapist', at(28, '09:00')), 'STEP_OUT_OF_ORDER');
    refused(given(...mdmaPrepared()), cmd('ScheduleSession', { sessionKey: 'prep-1', scheduledFor: at(30) }, 'coordinator', at(22)), 'STEP_ALREADY_RECORDED');
  });

  it('does not reuse pre-dose readings of a cancelled attempt', () => {
    const highThenCancelled = given(
      ...mdmaPrepared(),
      cmd('StartSession', { sessionKey: 'dosing-1' }, 'therapist', at(28, '08:00')),
      vitals('dosing-1', 'pre_dose', at(28, '08:05')),
      cmd('CancelSession', { sessionKey: 'dosing-1', reason: 'Patient unwell' }, 'therapist', at(28, '08:30')),
      cmd('StartSession', { sessionKey: 'dosing-1' }, 'therapist', at(29, '08:00')),
      cmd('RecordPreDoseChecks', { sessionKey: 'dosing-1', fasting: true, pregnancyTest: 'negative' }, 'therapist', at(29, '08:10')),
    );
    refused(highThenCancelled, cmd('AdministerDose', { sessionKey: 'dosing-1', amountMg: 80, ...signed('responsibility') }, 'physician', at(29, '08:30')), 'STEP_OUT_OF_ORDER');
  });
});

describe('dosing visit', () => {
  const inDosing = given(...mdmaPrepared(), cmd('StartSession', { sessionKey: 'dosing-1' }, 'therapist', at(28, '08:00')));
  const dose = (amountMg = 80) => cmd('AdministerDose', { sessionKey: 'dosing-1', amountMg, ...signed('responsibility') }, 'physician', at(28, '08:30'));
  const checks = (fasting = true, pregnancyTest: 'negative' | 'positive' = 'negative') =>
    cmd('RecordPreDoseChecks', { sessionKey: 'dosing-1', fasting, pregnancyTest }, 'therapist', at(28, '08:10'));

  it('needs pre-dose vitals under the pre-dose limit (140/90)', () => {
    refused(apply(inDosing, checks()), dose(), 'STEP_OUT_OF_ORDER');
    const high = given(...mdmaPrepared(), cmd('StartSession', { sessionKey: 'dosing-1' }, 'therapist', at(28, '08:00')), checks());
    const highEvents = accepted(high, vitals('dosing-1', 'pre_dose', at(28, '08:05'), [150, 85]));
    expect(highEvents.map((e) => e.type)).toEqual(['VitalsRecorded', 'AlertRaised']);
    const withHigh = apply(high, vitals('dosing-1', 'pre_dose', at(28, '08:05'), [150, 85]));
    expect(refused(withHigh, dose(), 'PREDOSE_VITALS_HIGH')?.details).toEqual({ breaches: ['systolic pressure above 140 mmHg'] });
    accepted(apply(withHigh, vitals('dosing-1', 'pre_dose', at(28, '08:20'), [138, 88])), dose());
  });

  it('needs the pre-dose checks: fasting and a negative pregnancy test', () => {
    const withVitals = apply(inDosing, vitals('dosing-1', 'pre_dose', at(28, '08:05')));
    refused(withVitals, dose(), 'STEP_OUT_OF_ORDER');
    refused(apply(withVitals, checks(false)), dose(), 'PREDOSE_CHECK_FAILED');
    refused(apply(withVitals, checks(true, 'positive')), dose(), 'PREDOSE_CHECK_FAILED');
    accepted(apply(withVitals, checks()), dose());
  });

  it('gives only an initial dose the protocol allows (80 or 120 mg), once, in a started dosing visit', () => {
    const ready = given(...mdmaPrepared(), ...mdmaDosingStart('dosing-1', 28, 80).slice(0, 4));
    refused(ready, dose(100), 'OUTCOME_INVALID');
    expect(accepted(ready, dose(120))[0]).toMatchObject({ data: { amountMg: 120, drug: 'midomafetamine (MDMA)' } });
    refused(dosed, dose(), 'STEP_ALREADY_RECORDED');
    refused(prepared, dose(), 'STEP_OUT_OF_ORDER');
    refused(dosed, checks(), 'STEP_OUT_OF_ORDER');
  });

  it('refuses dosing steps on a visit that is not a dosing visit', () => {
    refused(eligible, cmd('AdministerDose', { sessionKey: 'prep-1', amountMg: 80, ...signed('responsibility') }, 'physician', at(7)), 'STEP_OUT_OF_ORDER');
  });

  it('gives the half-dose supplement only inside its window (90-150 min after the dose)', () => {
    const supplement = (time: string, amountMg = 40) => cmd('AdministerSupplementalDose', { sessionKey: 'dosing-1', amountMg }, 'physician', at(28, time));
    refused(inDosing, supplement('10:00'), 'STEP_OUT_OF_ORDER');
    expect(refused(dosed, supplement('09:30'), 'INTERVAL_NOT_MET')?.details).toEqual({ earliest: at(28, '10:00') });
    refused(dosed, supplement('11:10'), 'WINDOW_CLOSED');
    refused(dosed, supplement('10:30', 60), 'OUTCOME_INVALID');
    expect(accepted(dosed, supplement('10:30'))[0]).toMatchObject({ data: { minutesAfterInitialDose: 120 } });
    refused(apply(dosed, supplement('10:30')), supplement('10:40'), 'STEP_ALREADY_RECORDED');
  });

  it('blocks the supplement while the latest vitals breach the alert limits', () => {
    const alarming = apply(dosed, vitals('dosing-1', 'post_dose', at(28, '10:00'), [170, 100], 118));
    expect(alarming.alertCount).toBe(1);
    refused(alarming, cmd('AdministerSupplementalDose', { sessionKey: 'dosing-1', amountMg: 40 }, 'physician', at(28, '10:30')), 'VITALS_ABOVE_THRESHOLD');
    const settled = apply(alarming, vitals('dosing-1', 'post_dose', at(28, '10:20'), [150, 95], 100));
    accepted(settled, cmd('AdministerSupplementalDose', { sessionKey: 'dosing-1', amountMg: 40 }, 'physician', at(28, '10:30')));
  });

  it('records a withheld supplement with its reason', () => {
    const withhold = cmd('WithholdSupplementalDose', { sessionKey: 'dosing-1', reason: 'Blood pressure elevated' }, 'therapist', at(28, '10:30'));
    refused(inDosing, withhold, 'STEP_OUT_OF_ORDER');
    const withheld = apply(dosed, withhold);
    expect(withheld.sessions.find((s) => s.key === 'dosing-1')!.dosing!.supplemental).toMatchObject({ outcome: 'withheld', reason: 'Blood pressure elevated' });
    refused(withheld, withhold, 'STEP_ALREADY_RECORDED');
  });

  it('orders vitals around the dose', () => {
    refused(inDosing, vitals('dosing-1', 'post_dose', at(28, '08:10')), 'STEP_OUT_OF_ORDER');
    refused(dosed, vitals('dosing-1', 'pre_dose', at(28, '08:40')), 'STEP_OUT_OF_ORDER');
    refused(prepared, vitals('dosing-1', 'other', at(28, '08:40')), 'STEP_OUT_OF_ORDER');
    refused(dosed, cmd('RecordVitals', { sessionKey: 'dosing-1', timing: 'other', systolic: 120, diastolic: 80, heartRate: 70, measuredAt: at(29) }, 'integration', at(28, '09:00')), 'CLINICAL_TIME_INVALID');
  });

  it('discharges only after 8 h of monitoring, with criteria met, an escort and the overnight stay', () => {
    const ready = given(...mdmaPrepared(), ...mdmaDosing('dosing-1', 28, 80).slice(0, -2));
    const discharge = (time: string, data: Partial<{ criteriaMet: boolean; escortRef: string; overnightStay: boolean }> = {}) =>
      cmd('DischargePatient', { sessionKey: 'dosing-1', criteriaMet: true, escortRef: 'ESC-1', overnightStay: true, ...data }, 'therapist', at(28, time));
    // Before the discharge vital signs of 16:40 is not a plausible discharge time at all.
    refused(ready, discharge('16:00'), 'CLINICAL_TIME_INVALID');
    const beforeDischargeVitals = given(...mdmaPrepared(), ...mdmaDosing('dosing-1', 28, 80).slice(0, -3));
    expect(refused(beforeDischargeVitals, discharge('16:00'), 'MONITORING_INCOMPLETE')?.details).toMatchObject({ minimumMinutes: 480, earliest: at(28, '16:30') });
    refused(ready, discharge('16:45', { criteriaMet: false }), 'DISCHARGE_CRITERIA_NOT_MET');
    refused(ready, cmd('DischargePatient', { sessionKey: 'dosing-1', criteriaMet: true, overnightStay: true }, 'therapist', at(28, '16:45')), 'DISCHARGE_CRITERIA_NOT_MET');
    refused(ready, discharge('16:45', { overnightStay: false }), 'DISCHARGE_CRITERIA_NOT_MET');
    accepted(ready, discharge('16:45'));
    refused(apply(ready, discharge('16:45')), discharge('16:50'), 'STEP_ALREADY_RECORDED');
    refused(inDosing, discharge('16:45'), 'STEP_OUT_OF_ORDER');
  });

  it('needs the supplemental decision and the discharge vitals before discharge', () => {
    const discharge = cmd('DischargePatient', { sessionKey: 'dosing-1', criteriaMet: true, escortRef: 'ESC-1', overnightStay: true }, 'therapist', at(28, '16:45'));
    refused(dosed, discharge, 'STEP_OUT_OF_ORDER');
    const supplemented = given(...mdmaPrepared(), ...mdmaDosingStart('dosing-1', 28, 80), ...mdmaDosingEnd('dosing-1', 28, 80).slice(0, 2));
    expect(refused(supplemented, discharge, 'STEP_OUT_OF_ORDER')?.details).toEqual({ missing: 'RecordVitals' });
  });

  it('completes a dosing visit only after discharge', () => {
    refused(dosed, cmd('CompleteSession', { sessionKey: 'dosing-1' }, 'therapist', at(28, '17:00')), 'STEP_OUT_OF_ORDER');
  });
});

describe('esketamine specifics', () => {
  const eligibleK = given(...esketamineEligible());
  const visitCommands = esketamineVisit('treatment-1', 7, false);

  it('has no preparatory visit and no supplemental dose (steps it does not list are not in the protocol, for every role)', () => {
    expect(eligibleK.phase).toBe('treatment');
    const dosedK = given(...esketamineEligible(), ...visitCommands.slice(0, 4));
    refused(dosedK, cmd('AdministerSupplementalDose', { sessionKey: 'treatment-1', amountMg: 28 }, 'physician', at(7, '10:45')), 'STEP_NOT_IN_PROTOCOL');
    refused(dosedK, cmd('WithholdSupplementalDose', { sessionKey: 'treatment-1', reason: 'n/a' }, 'physician', at(7, '10:45')), 'STEP_NOT_IN_PROTOCOL');
  });

  it('needs a blood-pressure reading about 40 minutes after the dose and 2 h of monitoring', () => {
    const noPostDose = given(...esketamineEligible(), ...visitCommands.slice(0, 4), vitals('treatment-1', 'post_dose', at(7, '09:30')), vitals('treatment-1', 'discharge', at(7, '11:15')));
    const discharge = cmd('DischargePatient', { sessionKey: 'treatment-1', criteriaMet: true, escortRef: 'ESC-2' }, 'physician', at(7, '11:20'));
    refused(noPostDose, discharge, 'STEP_OUT_OF_ORDER');
    const ready = given(...esketamineEligible(), ...visitCommands.slice(0, 6));
    const beforeDischargeVitals = given(...esketamineEligible(), ...visitCommands.slice(0, 5));
    refused(beforeDischargeVitals, { ...discharge, metadata: { ...discharge.metadata, now: at(7, '11:00') } }, 'MONITORING_INCOMPLETE');
    accepted(ready, discharge);
  });

  it('takes the monitoring form after discharge, validates it and flags it late after 7 days', () => {
    const visited = given(...esketamineEligible(), ...visitCommands);
    refused(given(...esketamineEligible(), ...visitCommands.slice(0, 5)), monitoringForm('treatment-1', at(7, '10:00')), 'STEP_OUT_OF_ORDER');
    refused(visited, monitoringForm('treatment-1', at(8), { minutesMonitored: -5 }), 'OUTCOME_INVALID');
    expect(accepted(visited, monitoringForm('treatment-1', at(8)))[0]).toMatchObject({ data: { late: false, dueBy: at(14, '11:20') } });
    expect(accepted(visited, monitoringForm('treatment-1', at(15)))[0]).toMatchObject({ data: { late: true } });
    refused(apply(visited, monitoringForm('treatment-1', at(8))), monitoringForm('treatment-1', at(9)), 'STEP_ALREADY_RECORDED');
    refused(given(...mdmaPrepared(), ...mdmaDosing('dosing-1', 28, 80)), monitoringForm('dosing-1', at(29)), 'STEP_NOT_IN_PROTOCOL');
  });

  it('does not complete the course while a monitoring form is due', () => {
    const allVisits = given(
      ...esketamineEligible(),
      ...esketamineVisit('treatment-1', 7),
      ...esketamineVisit('treatment-2', 10),
      ...esketamineVisit('treatment-3', 14),
      ...esketamineVisit('treatment-4', 17, false),
    );
    const complete = cmd('CompleteCourse', signed('responsibility'), 'physician', at(18));
    expect(refused(allVisits, complete, 'STEP_OUT_OF_ORDER')?.details).toEqual({ missing: ['treatment-4'] });
    accepted(apply(allVisits, monitoringForm('treatment-4', at(18))), complete);
  });
});

describe('adverse events and safety holds', () => {
  const report = (seriousSuspected?: boolean) =>
    cmd('ReportAdverseEvent', { description: 'Euphoria and jaw clenching', onsetAt: at(28, '09:30'), sessionKey: 'dosing-1', ...(seriousSuspected === undefined ? {} : { seriousSuspected }) }, 'therapist', at(28, '10:00'));
  const classify = (adverseEventRef: number, serious: boolean, aesiCategory?: string) =>
    cmd('ClassifyAdverseEvent', { adverseEventRef, serious, causality: 'probable', severity: 'mild', ...(aesiCategory ? { aesiCategory } : {}), ...signed('review') }, 'physician', at(29));

  it('records every reported event, including positive ones, unclassified at first', () => {
    const withAe = apply(dosed, report());
    expect(withAe.adverseEvents).toEqual([{ ref: withAe.version, reportedAt: at(28, '10:00'), sessionKey: 'dosing-1', seriousSuspected: false, classification: null }]);
    expect(withAe.status).toBe('active');
    refused(dosed, cmd('ReportAdverseEvent', { description: 'x', onsetAt: at(30) }, 'therapist', at(28, '10:00')), 'CLINICAL_TIME_INVALID');
    refused(dosed, cmd('ReportAdverseEvent', { description: 'x', onsetAt: at(28), sessionKey: 'nope' }, 'therapist', at(28, '10:00')), 'STEP_UNKNOWN');
  });

  it('classifies seriousness, AESI status and causality separately; a serious event places a hold once', () => {
    const withAe = apply(dosed, report());
    const ref = withAe.version;
    refused(withAe, classify(ref + 5, false), 'STEP_UNKNOWN');
    refused(withAe, classify(ref, false, 'boredom'), 'OUTCOME_INVALID');
    expect(accepted(withAe, classify(ref, false, 'abuse_misuse_diversion')).map((e) => e.type)).toEqual(['AdverseEventClassified']);
    const serious = accepted(withAe, classify(ref, true, 'cardiac'));
    expect(serious.map((e) => e.type)).toEqual(['AdverseEventClassified', 'SafetyHoldPlaced']);
    expect(serious[1]).toMatchObject({ data: { source: 'serious_adverse_event', adverseEventRef: ref } });
    const held = apply(withAe, classify(ref, true));
    expect(held.status).toBe('on_hold');
    expect(accepted(held, classify(ref, true)).map((e) => e.type)).toEqual(['AdverseEventClassified']);
  });

  it('places a hold at once when a serious event is suspected, and blocks the supplemental dose', () => {
    const held = apply(dosed, report(true));
    expect(held.status).toBe('on_hold');
    refused(held, cmd('AdministerSupplementalDose', { sessionKey: 'dosing-1', amountMg: 40 }, 'physician', at(28, '10:30')), 'SAFETY_HOLD');
  });

  it('lets staff place a hold and only a physician clear it, once', () => {
    const held = apply(prepared, cmd('PlaceSafetyHold', { reason: 'Pending ECG review' }, 'coordinator', at(22)));
    const holdRef = held.holds[0]!.ref;
    refused(given(...mdmaPrepared(), ...mdmaDosingStart('dosing-1', 28, 80).slice(0, 4), cmd('PlaceSafetyHold', { reason: 'x' }, 'therapist', at(28, '08:20'))), cmd('AdministerDose', { sessionKey: 'dosing-1', amountMg: 80, ...signed('responsibility') }, 'physician', at(28, '08:30')), 'SAFETY_HOLD');
    const clear = cmd('ClearSafetyHold', { holdRef, reason: 'ECG normal', ...signed('approval') }, 'physician', at(23));
    refused(held, as(clear, 'therapist'), 'ROLE_NOT_PERMITTED');
    refused(held, cmd('ClearSafetyHold', { holdRef: 999, reason: 'x', ...signed('approval') }, 'physician', at(23)), 'STEP_UNKNOWN');
    const cleared = apply(held, clear);
    expect(cleared.status).toBe('active');
    refused(cleared, clear, 'STEP_ALREADY_RECORDED');
  });

  it('raises a staff alert, on a visit or on the course', () => {
    expect(accepted(dosed, cmd('RaiseAlert', { sessionKey: 'dosing-1', reason: 'Patient agitated' }, 'therapist', at(28, '11:00')))[0]).toMatchObject({ data: { source: 'staff', vitalsRef: null } });
    accepted(dosed, cmd('RaiseAlert', { reason: 'Phone contact failed' }, 'coordinator', at(29)));
    refused(dosed, cmd('RaiseAlert', { sessionKey: 'nope', reason: 'x' }, 'coordinator', at(29)), 'STEP_UNKNOWN');
  });
});

describe('corrections', () => {
  const correct = (eventVersion: number, values: Record<string, number | string | boolean>) =>
    cmd('CorrectEvent', { eventVersion, reason: 'Transcription error', values, ...signed('authorship') }, 'therapist', at(1));

  it('corrects an assessment value by stream version without touching the original event', () => {
    const baselineVersion = screened.assessments[0]!.version;
    const corrected = apply(screened, correct(baselineVersion, { total: 42 }));
    expect(corrected.assessments[0]!.values).toMatchObject({ total: 42, ptsdDiagnosis: true });
    expect(corrected.corrections).toEqual([{ version: corrected.version, eventVersion: baselineVersion, reason: 'Transcription error' }]);
    refused(screened, correct(baselineVersion, { total: 99 }), 'OUTCOME_INVALID');
    refused(screened, correct(baselineVersion, {}), 'OUTCOME_INVALID');
  });

  it('corrects a vital-sign reading', () => {
    const reading = dosed.vitals[0]!;
    const corrected = apply(dosed, correct(reading.version, { systolic: 125 }));
    expect(corrected.vitals[0]).toMatchObject({ systolic: 125, diastolic: 80 });
    refused(dosed, correct(reading.version, { systolic: 900 }), 'OUTCOME_INVALID');
  });

  it('refuses to correct what does not exist or cannot be corrected', () => {
    refused(screened, correct(999, { total: 1 }), 'STEP_UNKNOWN');
    refused(screened, correct(0, { total: 1 }), 'STEP_UNKNOWN');
    refused(screened, correct(1, { total: 1 }), 'OUTCOME_INVALID');
  });
});

describe('completion', () => {
  it('refuses completion while visits are open, assessments are due, events unclassified or a hold is active', () => {
    const complete = (day: number) => cmd('CompleteCourse', signed('responsibility'), 'physician', at(day));
    refused(prepared, complete(30), 'STEP_OUT_OF_ORDER');
    const esk = given(...esketamineEligible(), ...esketamineVisit('treatment-1', 7), ...esketamineVisit('treatment-2', 10), ...esketamineVisit('treatment-3', 14), ...esketamineVisit('treatment-4', 17));
    const withAe = apply(esk, cmd('ReportAdverseEvent', { description: 'Nausea', onsetAt: at(17, '10:00') }, 'physician', at(17, '12:00')));
    refused(withAe, complete(18), 'STEP_OUT_OF_ORDER');
    const held = apply(esk, cmd('PlaceSafetyHold', { reason: 'Review' }, 'physician', at(18)));
    refused(held, complete(18), 'SAFETY_HOLD');
    accepted(esk, complete(18));
  });

  it('waits for the endpoint inside its window and reports it as missed once the window has closed (a v2 course)', () => {
    const all = mdmaCompleteCourseWithoutEndpoint();
    const beforeWindow = givenOn(2, ...all);
    refused(beforeWindow, caps5('caps5-endpoint', 20, at(105)), 'INTERVAL_NOT_MET');
    refused(beforeWindow, cmd('CompleteCourse', signed('responsibility'), 'physician', at(126)), 'STEP_OUT_OF_ORDER');
    refused(beforeWindow, caps5('caps5-endpoint', 20, at(141)), 'WINDOW_CLOSED');
    const [completed] = accepted(beforeWindow, cmd('CompleteCourse', signed('responsibility'), 'physician', at(141)));
    expect(completed).toMatchObject({ type: 'CourseCompleted', data: { missedAssessments: ['caps5-endpoint'] } });
  });
});

const mdmaCompleteCourseWithoutEndpoint = (): CourseCommand[] => {
  const cycle = (k: number, day: number, mg: number) => [
    ...mdmaDosing(`dosing-${k}`, day, mg),
    ...simpleVisit(`integration-${k}.1`, day + 1),
    ...simpleVisit(`integration-${k}.2`, day + 8),
    ...simpleVisit(`integration-${k}.3`, day + 15),
  ];
  return [
    ...mdmaPrepared(),
    ...cycle(1, 28, 80),
    ...cycle(2, 56, 120),
    caps5('caps5-after-dosing-2', 30, at(60)),
    ...cycle(3, 84, 120),
    caps5('caps5-after-dosing-3', 22, at(88)),
  ];
};

describe('the engine is protocol-agnostic', () => {
  it('refuses a start for a protocol role the definition does not list', () => {
    refused(initialState(), as(start(ESKETAMINE), 'therapist'), 'ROLE_NOT_PERMITTED');
  });
});

describe('the screening checklist in one signed step (v3)', () => {
  const consented = given(start(MDMA), consent());
  const ids = mdmaAtPtsdV3.screening.criteria.map((c) => c.id);
  const batch = (criteria: { criterionId: string; outcome: 'pass' | 'fail'; evidence: string }[], meaning = 'authorship') =>
    cmd('RecordEligibilityCriteria', { criteria, ...signed(meaning) }, 'coordinator', at(0, '10:00'));
  const all = ids.map((criterionId) => ({ criterionId, outcome: 'pass' as const, evidence: 'Screening interview and records' }));

  it('records all 21 criteria under one signature, one event each, and completes that screening item', () => {
    expect(ids).toHaveLength(21);
    const events = accepted(consented, batch(all));
    expect(events).toHaveLength(21);
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(['EligibilityCriterionRecorded']));
    const signatures = events.map((e) => (e.data as { signature?: unknown }).signature);
    expect(new Set(signatures.map((s) => JSON.stringify(s))).size).toBe(1);
    expect(signatures[0]).toMatchObject({ meaning: 'authorship', signerId: 'u-coordinator' });
    const state = apply(consented, batch(all));
    expect(Object.keys(state.screening.criteria)).toHaveLength(21);
    expect(missingScreening(mdmaAtPtsdV3, state)).not.toContain('criteria');
  });

  it('refuses the whole step for an unknown or repeated criterion, an unsigned batch, or a protocol without it', () => {
    expect(refused(consented, batch([...all.slice(0, 2), { criterionId: 'nope', outcome: 'pass', evidence: 'x' }]), 'STEP_UNKNOWN')?.details).toEqual({ criterionIds: ['nope'] });
    expect(refused(consented, batch([all[0]!, all[0]!]), 'OUTCOME_INVALID')?.details).toEqual({ criterionIds: [ids[0]] });
    refused(consented, batch(all, 'approval'), 'SIGNATURE_REQUIRED');
    refused(given(start(ESKETAMINE), consent()), batch(all), 'STEP_NOT_IN_PROTOCOL');
    refused(eligible, batch(all), 'STEP_OUT_OF_ORDER');
  });
});
