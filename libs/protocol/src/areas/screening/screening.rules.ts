import type { CourseCommandType } from '../../command';
import type { ProtocolDefinition, ScreeningStep } from '../../definitions/protocol-definition';
import { reject, type Rejection } from '../../rejection';
import type { CourseState } from '../../state';

/*
 * The screening rules, shared by `decide` (to refuse a command) and `availableSteps` (to say what is
 * blocked and why), so the two can never disagree. Each returns the rejection that applies, or null.
 */

/**
 * Commands allowed before informed consent: nothing may be collected about a patient who has not consented,
 * but safety and closing steps must never be blocked.
 */
export const ALLOWED_BEFORE_CONSENT: readonly CourseCommandType[] = [
  'StartCourse',
  'RecordInformedConsent',
  'ReportAdverseEvent',
  'ClassifyAdverseEvent',
  'PlaceSafetyHold',
  'ClearSafetyHold',
  'RaiseAlert',
  'WithdrawCourse',
  'CorrectEvent',
];

/** The refusal of any other step while informed consent is not on record. */
export const consentFirst = (): Rejection =>
  reject('STEP_OUT_OF_ORDER', 'Informed consent must be recorded before this step.', { missing: 'RecordInformedConsent' });

/** Screening items can change only until eligibility is determined. */
export const screeningOpen = (state: CourseState): Rejection | null =>
  state.screening.eligibility === null
    ? null
    : reject('STEP_OUT_OF_ORDER', 'Eligibility has already been determined; screening records can no longer be added.');

/** The baseline assessment that decides eligibility, if recorded (latest wins). */
export const baselineAssessment = (def: ProtocolDefinition, state: CourseState) => {
  const instrument = def.screening.baseline?.instrument;
  return [...state.assessments].reverse().find((a) => a.timepoint === 'baseline' && (!instrument || a.instrument === instrument));
};

/** Screening items the protocol requires that are not yet on record. */
export const missingScreening = (def: ProtocolDefinition, state: CourseState): ScreeningStep[] => {
  const s = state.screening;
  const done: Record<ScreeningStep, boolean> = {
    consent: s.consentRecorded,
    emergency_contact: s.emergencyContactRecorded,
    criteria: def.screening.criteria.every((c) => s.criteria[c.id] !== undefined),
    baseline_assessment: baselineAssessment(def, state) !== undefined,
    medical_clearance: s.medicalClearance !== null,
    washout: s.washout !== null,
    pregnancy_test: s.pregnancyTest !== null,
  };
  return def.screening.required.filter((step) => !done[step]);
};

/** Why the patient cannot be found eligible, as short reasons without personal data. Empty when eligible. */
export const ineligibilityReasons = (def: ProtocolDefinition, state: CourseState): string[] => {
  const reasons: string[] = [];
  for (const c of def.screening.criteria) {
    if (state.screening.criteria[c.id] === 'fail') reasons.push(`criterion ${c.id} not satisfied`);
  }
  const threshold = def.screening.baseline;
  const baseline = baselineAssessment(def, state);
  if (threshold && baseline) {
    const score = baseline.values[threshold.field];
    if (typeof score !== 'number' || score < threshold.minimum) {
      reasons.push(`baseline ${threshold.instrument} ${threshold.field} below ${threshold.minimum}`);
    }
  }
  if (state.screening.medicalClearance === false) reasons.push('medical clearance not granted');
  if (state.screening.pregnancyTest === 'positive') reasons.push('pregnancy test positive');
  return reasons;
};
