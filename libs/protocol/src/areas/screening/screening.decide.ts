import type {
  DetermineEligibility,
  RecordEligibilityCriteria,
  RecordEligibilityCriterion,
  RecordEmergencyContact,
  RecordInformedConsent,
  RecordMedicalClearance,
  RecordMedicationWashout,
  RecordPregnancyTest,
  StartCourse,
} from '../../command';
import { accept, emit, invalid, refuse, type Decision } from '../../decision';
import type { ProtocolDefinition } from '../../definitions/protocol-definition';
import { reject } from '../../rejection';
import type { CourseState } from '../../state';
import { ineligibilityReasons, missingScreening, screeningOpen } from './screening.rules';

/*
 * Screening, from the start of a course to the eligibility determination: what each step checks and the
 * event it records. The rules these share with the available steps are in screening.rules.ts.
 */

export const startCourse = (command: StartCourse, def: ProtocolDefinition): Decision => {
  if (command.data.siteId !== command.metadata.actor.siteId) {
    return refuse(reject('ROLE_NOT_PERMITTED', 'You may only start courses of care at your own site.'));
  }
  const { courseId, patientRef, siteId, protocolId } = command.data;
  return accept(emit(command, 'CourseStarted', { courseId, patientRef, siteId, protocolId, protocolVersion: def.version }));
};

export const recordInformedConsent = (command: RecordInformedConsent, state: CourseState): Decision => {
  if (state.screening.consentRecorded) {
    return refuse(reject('STEP_ALREADY_RECORDED', 'Informed consent is already recorded for this course.'));
  }
  const { consentFormVersion, consentedAt, consentsToRecording } = command.data;
  return accept(
    emit(command, 'InformedConsentRecorded', { consentFormVersion, consentedAt, consentsToRecording: consentsToRecording ?? null }),
  );
};

export const recordEmergencyContact = (command: RecordEmergencyContact, state: CourseState): Decision => {
  if (state.screening.emergencyContactRecorded) {
    return refuse(reject('STEP_ALREADY_RECORDED', 'An emergency contact is already recorded for this course.'));
  }
  return accept(emit(command, 'EmergencyContactRecorded', { contactRef: command.data.contactRef }));
};

export const recordEligibilityCriterion = (command: RecordEligibilityCriterion, state: CourseState, def: ProtocolDefinition): Decision => {
  const closed = screeningOpen(state);
  if (closed) return refuse(closed);
  const { criterionId, outcome, evidence } = command.data;
  if (!def.screening.criteria.some((c) => c.id === criterionId)) {
    return refuse(reject('STEP_UNKNOWN', 'This protocol has no such eligibility criterion.', { criterionId }));
  }
  return accept(emit(command, 'EligibilityCriterionRecorded', { criterionId, outcome, evidence }));
};

/** The screening checklist in one signed step: each criterion checked as if recorded alone, one event each. */
export const recordEligibilityCriteria = (command: RecordEligibilityCriteria, state: CourseState, def: ProtocolDefinition): Decision => {
  const closed = screeningOpen(state);
  if (closed) return refuse(closed);
  const ids = command.data.criteria.map((c) => c.criterionId);
  const unknown = ids.filter((id) => !def.screening.criteria.some((c) => c.id === id));
  if (unknown.length > 0) return refuse(reject('STEP_UNKNOWN', 'This protocol has no such eligibility criterion.', { criterionIds: unknown }));
  const repeated = ids.filter((id, i) => ids.indexOf(id) !== i);
  if (repeated.length > 0) return invalid('Each criterion is assessed once in a step.', { criterionIds: [...new Set(repeated)] });
  return accept(
    ...command.data.criteria.map(({ criterionId, outcome, evidence }) => emit(command, 'EligibilityCriterionRecorded', { criterionId, outcome, evidence })),
  );
};

export const recordMedicalClearance = (command: RecordMedicalClearance, state: CourseState): Decision => {
  const closed = screeningOpen(state);
  if (closed) return refuse(closed);
  return accept(emit(command, 'MedicalClearanceRecorded', { cleared: command.data.cleared, evidence: command.data.evidence }));
};

export const recordMedicationWashout = (command: RecordMedicationWashout, state: CourseState): Decision => {
  const closed = screeningOpen(state);
  if (closed) return refuse(closed);
  const { required, endsAt } = command.data;
  if (required && !endsAt) return invalid('A required washout needs its end date.', { field: 'endsAt' });
  if (!required && endsAt) return invalid('A washout end date is given only when a washout is required.', { field: 'endsAt' });
  return accept(emit(command, 'MedicationWashoutRecorded', { required, endsAt: endsAt ?? null }));
};

export const recordPregnancyTest = (command: RecordPregnancyTest, state: CourseState): Decision => {
  const closed = screeningOpen(state);
  if (closed) return refuse(closed);
  return accept(emit(command, 'PregnancyTestRecorded', { result: command.data.result }));
};

export const determineEligibility = (command: DetermineEligibility, state: CourseState, def: ProtocolDefinition): Decision => {
  if (state.screening.eligibility !== null) {
    return refuse(reject('STEP_ALREADY_RECORDED', 'Eligibility is already determined for this course.'));
  }
  const { eligible, reason } = command.data;
  if (!eligible) {
    if (!reason) return invalid('Give the reason the patient is not eligible.', { field: 'reason' });
    return accept(emit(command, 'EligibilityDetermined', { eligible, reason }));
  }
  const missing = missingScreening(def, state);
  if (missing.length > 0) {
    return refuse(reject('STEP_OUT_OF_ORDER', 'Screening is not complete; some required items are not yet recorded.', { missing }));
  }
  const reasons = ineligibilityReasons(def, state);
  if (reasons.length > 0) {
    return refuse(reject('INELIGIBLE', 'The screening records do not support eligibility under this protocol.', { reasons }));
  }
  return accept(emit(command, 'EligibilityDetermined', { eligible, reason: reason ?? null }));
};
