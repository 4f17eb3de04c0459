import type {
  AdministerDose,
  AdministerSupplementalDose,
  CancelSession,
  ClassifyAdverseEvent,
  ClearSafetyHold,
  CompleteCourse,
  CompleteSession,
  CorrectEvent,
  CourseCommand,
  DetermineEligibility,
  DischargePatient,
  MarkSessionMissed,
  PlaceSafetyHold,
  RaiseAlert,
  RecordAssessment,
  RecordEligibilityCriteria,
  RecordEligibilityCriterion,
  RecordEmergencyContact,
  RecordInformedConsent,
  RecordMedicalClearance,
  RecordMedicationWashout,
  RecordPreDoseChecks,
  RecordPregnancyTest,
  RecordVitals,
  ReportAdverseEvent,
  ScheduleSession,
  StartCourse,
  StartSession,
  SubmitMonitoringForm,
  WithdrawCourse,
  WithholdSupplementalDose,
  RecordDueDateNotice,
} from './command';
import { availableSteps } from './available-steps';
import type { ProtocolDefinition } from './definitions/protocol-definition';
import { pendingNotices } from './due-notices';
import { findProtocol } from './definitions/registry';
import { clinicalTimeOf, clinicalTimeRejection } from './clinical-time';
import {
  EVENT_SCHEMA_VERSIONS,
  LATE_FLAGGED_EVENT_TYPES,
  TIMED_EVENT_TYPES,
  type CourseEvent,
  type CourseEventType,
  type EventMetadata,
} from './event';
import { reject, type Rejection } from './rejection';
import {
  completeCourseRejection,
  completeRejection,
  dischargeRejection,
  doseRejection,
  ineligibilityReasons,
  missedPoints,
  missingScreening,
  monitoringFormDue,
  pointRejection,
  scheduleRejection,
  sessionDefinition,
  sessionState,
  startRejection,
  supplementalRejection,
} from './rules/course.rules';
import { outcomeProblems, vitalBreaches } from './rules/outcome.rules';
import { isBefore, minutesBetween } from './rules/time';
import { unsigned } from './rules/unsigned';
import { VITAL_FIELDS } from './rules/vitals';
import { isCourseClosed, type CourseState, type SessionState } from './state';

export { evolve } from './course.evolve';

export type Decision = { ok: true; events: CourseEvent[] } | { ok: false; rejection: Rejection };

const accept = (...events: CourseEvent[]): Decision => ({ ok: true, events });
const refuse = (rejection: Rejection): Decision => ({ ok: false, rejection });

const metadataOf = (command: CourseCommand): EventMetadata => ({
  actor: command.metadata.actor,
  occurredAt: command.metadata.now,
  correlationId: command.metadata.correlationId,
  ...(command.metadata.commandId !== undefined ? { commandId: command.metadata.commandId } : {}),
});

type EventOf<T extends CourseEventType> = Extract<CourseEvent, { type: T }>;
/** An event's data as a decide function writes it: `emit` adds the clinical time and the late-entry flag. */
type DecidedData<T extends CourseEventType> = Omit<EventOf<T>['data'], 'performedAt' | 'lateEntryReason'>;

/**
 * Builds an event from a command: current schema version, metadata copied from the command (its entry
 * time included), the clinical time and late-entry flag for the types that carry them, and the signature
 * manifestation (Part 11 §11.50: signer id, printed name, UTC time, meaning) when one was given.
 */
const emit = <T extends CourseEventType>(command: CourseCommand, type: T, decided: DecidedData<T>): EventOf<T> => {
  const timed = TIMED_EVENT_TYPES.includes(type);
  // The clinical-time rules have ensured a reason is given exactly when the entry is late.
  const reason = (command.data as { lateEntryReason?: string }).lateEntryReason;
  const data = {
    ...decided,
    ...(timed ? { performedAt: clinicalTimeOf(command) } : {}),
    ...((timed || LATE_FLAGGED_EVENT_TYPES.includes(type)) && reason !== undefined ? { lateEntryReason: reason } : {}),
  };
  const signature = 'signature' in command.data ? command.data.signature : undefined;
  const signed = signature
    ? {
        ...data,
        signature: {
          signerId: command.metadata.actor.id,
          printedName: command.metadata.actor.name,
          signedAt: command.metadata.now,
          meaning: signature.meaning,
          ...(signature.recordHash !== undefined ? { recordHash: signature.recordHash } : {}),
        },
      }
    : data;
  return { type, schemaVersion: EVENT_SCHEMA_VERSIONS[type], data: signed, metadata: metadataOf(command) } as unknown as EventOf<T>;
};

// ---------------------------------------------------------------- checks shared by every command

/**
 * Commands allowed before informed consent: nothing may be collected about a patient who has not consented,
 * but safety and closing steps must never be blocked.
 */
export const ALLOWED_BEFORE_CONSENT: readonly CourseCommand['type'][] = [
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

/** How `decide` applies rules that running courses did not always have (see `DecideOptions`). */
export type DecideOptions = {
  /**
   * The clinical-time rules (clinical-time.ts). Default true. The course workflow passes false in runs
   * that began before patch `clinical-times-v1`, so that replaying their recorded commands decides as
   * it did then; a command that itself names a clinical time is always held to the rules.
   */
  clinicalTimeRules?: boolean;
};

/** Refusals that apply before any step-specific rule. Order matters: never reveal another site's course. */
const preconditions = (command: CourseCommand, state: CourseState, options: DecideOptions): Rejection | ProtocolDefinition => {
  const { actor, expectedVersion } = command.metadata;
  if (command.type === 'StartCourse') {
    if (state.status !== 'not_started') {
      return reject('COURSE_ALREADY_STARTED', 'This course of care has already been started.');
    }
  } else {
    if (state.status === 'not_started' || state.siteId !== actor.siteId) {
      return reject('COURSE_NOT_FOUND', 'No such course of care at your site.');
    }
    if (isCourseClosed(state)) {
      return reject('COURSE_CLOSED', 'This course of care is closed; nothing more can be recorded on it.');
    }
  }
  if (expectedVersion !== undefined && expectedVersion !== state.version) {
    return reject('VERSION_CONFLICT', 'The course changed since you last loaded it; reload and try again.', {
      currentVersion: state.version,
    });
  }
  const protocol =
    command.type === 'StartCourse'
      ? findProtocol(command.data.protocolId)
      : state.protocol && findProtocol(state.protocol.id, state.protocol.version);
  if (!protocol) {
    return reject('PROTOCOL_UNKNOWN', 'The requested treatment protocol is not known to this service.');
  }
  const allowed = protocol.permissions[command.type];
  // A step the protocol does not have at all is not a question of who may do it.
  if (allowed === undefined) {
    return reject('STEP_NOT_IN_PROTOCOL', `This protocol (${protocol.title}) has no such step.`, { command: command.type });
  }
  if (!allowed.includes(actor.role)) {
    return reject('ROLE_NOT_PERMITTED', `A ${actor.role} may not perform this step under this protocol.`, {
      command: command.type,
      allowedRoles: [...allowed],
    });
  }
  const meaning = protocol.signatures[command.type];
  if (meaning !== undefined) {
    const signature = 'signature' in command.data ? command.data.signature : undefined;
    if (!signature || signature.meaning !== meaning) {
      return reject('SIGNATURE_REQUIRED', `This step must be signed electronically with the meaning "${meaning}".`, {
        meaning,
      });
    }
  }
  const given = 'signature' in command.data ? command.data.signature : undefined;
  if (given?.recordHash !== undefined && !/^[0-9a-f]{64}$/.test(given.recordHash)) {
    return reject('SIGNATURE_REQUIRED', 'The signature does not name the record signed.', { meaning: given.meaning });
  }
  const needsConsent = !ALLOWED_BEFORE_CONSENT.includes(command.type);
  if (needsConsent && !state.screening.consentRecorded) {
    return reject('STEP_OUT_OF_ORDER', 'Informed consent must be recorded before this step.', { missing: 'RecordInformedConsent' });
  }
  const mistimed = clinicalTimeRejection(command, state, protocol, { strict: options.clinicalTimeRules !== false, needsConsent });
  if (mistimed) return mistimed;
  return protocol;
};

/** Screening items can change only until eligibility is determined. */
const screeningOpen = (state: CourseState): Rejection | null =>
  state.screening.eligibility === null
    ? null
    : reject('STEP_OUT_OF_ORDER', 'Eligibility has already been determined; screening records can no longer be added.');

/** The visit named by a command, or why it cannot be used. */
const visit = (def: ProtocolDefinition, state: CourseState, key: string, dosing = false): SessionState | Rejection => {
  const session = sessionState(state, key);
  const definition = sessionDefinition(def, key);
  if (!session || !definition) return reject('STEP_UNKNOWN', 'This protocol has no such visit.', { sessionKey: key });
  if (dosing && definition.kind !== 'dosing') {
    return reject('STEP_OUT_OF_ORDER', 'This step belongs to a dosing visit.', { sessionKey: key });
  }
  return session;
};

const isRejection = (value: unknown): value is Rejection =>
  typeof value === 'object' && value !== null && 'code' in value && 'message' in value;

const invalid = (message: string, details?: Record<string, unknown>): Decision => refuse(reject('OUTCOME_INVALID', message, details));

// ---------------------------------------------------------------- screening

const startCourse = (command: StartCourse, def: ProtocolDefinition): Decision => {
  if (command.data.siteId !== command.metadata.actor.siteId) {
    return refuse(reject('ROLE_NOT_PERMITTED', 'You may only start courses of care at your own site.'));
  }
  const { courseId, patientRef, siteId, protocolId } = command.data;
  return accept(emit(command, 'CourseStarted', { courseId, patientRef, siteId, protocolId, protocolVersion: def.version }));
};

const recordInformedConsent = (command: RecordInformedConsent, state: CourseState): Decision => {
  if (state.screening.consentRecorded) {
    return refuse(reject('STEP_ALREADY_RECORDED', 'Informed consent is already recorded for this course.'));
  }
  const { consentFormVersion, consentedAt, consentsToRecording } = command.data;
  return accept(
    emit(command, 'InformedConsentRecorded', { consentFormVersion, consentedAt, consentsToRecording: consentsToRecording ?? null }),
  );
};

const recordEmergencyContact = (command: RecordEmergencyContact, state: CourseState): Decision => {
  if (state.screening.emergencyContactRecorded) {
    return refuse(reject('STEP_ALREADY_RECORDED', 'An emergency contact is already recorded for this course.'));
  }
  return accept(emit(command, 'EmergencyContactRecorded', { contactRef: command.data.contactRef }));
};

const recordEligibilityCriterion = (command: RecordEligibilityCriterion, state: CourseState, def: ProtocolDefinition): Decision => {
  const closed = screeningOpen(state);
  if (closed) return refuse(closed);
  const { criterionId, outcome, evidence } = command.data;
  if (!def.screening.criteria.some((c) => c.id === criterionId)) {
    return refuse(reject('STEP_UNKNOWN', 'This protocol has no such eligibility criterion.', { criterionId }));
  }
  return accept(emit(command, 'EligibilityCriterionRecorded', { criterionId, outcome, evidence }));
};

/** The screening checklist in one signed step: each criterion checked as if recorded alone, one event each. */
const recordEligibilityCriteria = (command: RecordEligibilityCriteria, state: CourseState, def: ProtocolDefinition): Decision => {
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

const recordMedicalClearance = (command: RecordMedicalClearance, state: CourseState): Decision => {
  const closed = screeningOpen(state);
  if (closed) return refuse(closed);
  return accept(emit(command, 'MedicalClearanceRecorded', { cleared: command.data.cleared, evidence: command.data.evidence }));
};

const recordMedicationWashout = (command: RecordMedicationWashout, state: CourseState): Decision => {
  const closed = screeningOpen(state);
  if (closed) return refuse(closed);
  const { required, endsAt } = command.data;
  if (required && !endsAt) return invalid('A required washout needs its end date.', { field: 'endsAt' });
  if (!required && endsAt) return invalid('A washout end date is given only when a washout is required.', { field: 'endsAt' });
  return accept(emit(command, 'MedicationWashoutRecorded', { required, endsAt: endsAt ?? null }));
};

const recordPregnancyTest = (command: RecordPregnancyTest, state: CourseState): Decision => {
  const closed = screeningOpen(state);
  if (closed) return refuse(closed);
  return accept(emit(command, 'PregnancyTestRecorded', { result: command.data.result }));
};

const determineEligibility = (command: DetermineEligibility, state: CourseState, def: ProtocolDefinition): Decision => {
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

// ---------------------------------------------------------------- assessments

const recordAssessment = (command: RecordAssessment, state: CourseState, def: ProtocolDefinition): Decision => {
  const { instrument, timepoint, values } = command.data;
  const definition = def.instruments.find((i) => i.id === instrument);
  if (!definition) return refuse(reject('STEP_UNKNOWN', 'This protocol does not use that instrument.', { instrument }));
  const problems = outcomeProblems(definition.fields, values);
  if (problems.length > 0) return invalid(`The ${definition.title} values are not valid.`, { problems });
  const at = clinicalTimeOf(command);
  if (timepoint === 'baseline') {
    const closed = screeningOpen(state);
    if (closed) return refuse(closed);
  } else if (sessionState(state, timepoint)) {
    const session = sessionState(state, timepoint)!;
    if (session.status !== 'in_progress') {
      return refuse(reject('STEP_OUT_OF_ORDER', 'Assessments at a visit are recorded while the visit is in progress.', { missing: 'StartSession' }));
    }
    if (session.assessments.includes(instrument)) {
      return refuse(reject('STEP_ALREADY_RECORDED', `The ${definition.title} is already recorded for this visit; correct it instead.`));
    }
  } else {
    const point = def.assessmentPoints.find((p) => p.key === timepoint);
    if (!point) return refuse(reject('STEP_UNKNOWN', 'This protocol has no such assessment time point.', { timepoint }));
    if (point.instrument !== instrument && !definition.optional) {
      return invalid(`This time point records the ${point.instrument}.`, { instrument: point.instrument });
    }
    // An optional instrument (a patient-reported PCL-5) accompanies a point, never stands in for it: any record
    // at a point counts as the point, so the point's own instrument must be on record first.
    const companion = point.instrument !== instrument;
    const atPoint = state.assessments.filter((a) => a.timepoint === timepoint);
    if (companion && !atPoint.some((a) => a.instrument === point.instrument)) {
      return refuse(reject('STEP_OUT_OF_ORDER', `Record the ${point.label} first; the ${definition.title} accompanies it.`, { missing: point.key }));
    }
    if (companion && atPoint.some((a) => a.instrument === instrument)) {
      return refuse(reject('STEP_ALREADY_RECORDED', `The ${definition.title} is already recorded at this time point; correct it instead.`));
    }
    // The point's order and window apply to a companion too, judged as if the point were not yet recorded.
    const judged = companion ? { ...state, assessments: state.assessments.filter((a) => a.timepoint !== timepoint) } : state;
    const refused = pointRejection(def, judged, point, at);
    if (refused) return refuse(refused);
  }
  return accept(emit(command, 'AssessmentRecorded', { instrument, timepoint, values }));
};

// ---------------------------------------------------------------- sessions

const scheduleSession = (command: ScheduleSession, state: CourseState, def: ProtocolDefinition): Decision => {
  const refused = scheduleRejection(def, state, command.data.sessionKey, command.data.scheduledFor);
  if (refused) return refuse(refused);
  return accept(emit(command, 'SessionScheduled', { sessionKey: command.data.sessionKey, scheduledFor: command.data.scheduledFor }));
};

const startSession = (command: StartSession, state: CourseState, def: ProtocolDefinition): Decision => {
  const refused = startRejection(def, state, command.data.sessionKey, clinicalTimeOf(command));
  if (refused) return refuse(refused);
  return accept(emit(command, 'SessionStarted', { sessionKey: command.data.sessionKey }));
};

const completeSession = (command: CompleteSession, state: CourseState, def: ProtocolDefinition): Decision => {
  const session = visit(def, state, command.data.sessionKey);
  if (isRejection(session)) return refuse(session);
  const refused = completeRejection(def, session);
  if (refused) return refuse(refused);
  return accept(emit(command, 'SessionCompleted', { sessionKey: session.key }));
};

const markSessionMissed = (command: MarkSessionMissed, state: CourseState, def: ProtocolDefinition): Decision => {
  const session = visit(def, state, command.data.sessionKey);
  if (isRejection(session)) return refuse(session);
  if (session.status !== 'scheduled') {
    return refuse(reject('STEP_OUT_OF_ORDER', 'Only a scheduled visit that has not started can be marked as missed.'));
  }
  return accept(emit(command, 'SessionMissed', { sessionKey: session.key, reason: command.data.reason }));
};

const cancelSession = (command: CancelSession, state: CourseState, def: ProtocolDefinition): Decision => {
  const session = visit(def, state, command.data.sessionKey);
  if (isRejection(session)) return refuse(session);
  if (session.status === 'pending' || session.status === 'completed') {
    return refuse(reject('STEP_OUT_OF_ORDER', 'Only a scheduled visit, or one started but not yet dosed, can be cancelled.'));
  }
  if (session.dosing?.initialDose) {
    return refuse(reject('STEP_OUT_OF_ORDER', 'A dose was given in this visit; it must be completed with monitoring and discharge.'));
  }
  return accept(emit(command, 'SessionCancelled', { sessionKey: session.key, reason: command.data.reason }));
};

// ---------------------------------------------------------------- dosing-visit steps

const recordPreDoseChecks = (command: RecordPreDoseChecks, state: CourseState, def: ProtocolDefinition): Decision => {
  const session = visit(def, state, command.data.sessionKey, true);
  if (isRejection(session)) return refuse(session);
  if (session.status !== 'in_progress' || session.dosing?.initialDose) {
    return refuse(reject('STEP_OUT_OF_ORDER', 'Pre-dose checks are recorded after the visit starts and before the dose.'));
  }
  const { fasting, pregnancyTest } = command.data;
  return accept(emit(command, 'PreDoseChecksRecorded', { sessionKey: session.key, fasting, pregnancyTest }));
};

const administerDose = (command: AdministerDose, state: CourseState, def: ProtocolDefinition): Decision => {
  const session = visit(def, state, command.data.sessionKey, true);
  if (isRejection(session)) return refuse(session);
  const refused = doseRejection(def, state, session);
  if (refused) return refuse(refused);
  const { amountMg, lotNumber } = command.data;
  const { initialDoseOptions: options, initialDoseRange: range } = def.dosing;
  if ((options && !options.includes(amountMg)) || (range && (amountMg < range.min || amountMg > range.max))) {
    return invalid('This dose is not one the protocol allows.', { allowedMg: options ?? range });
  }
  return accept(emit(command, 'DoseAdministered', { sessionKey: session.key, drug: def.dosing.drug, amountMg, lotNumber: lotNumber ?? null }));
};

const administerSupplementalDose = (command: AdministerSupplementalDose, state: CourseState, def: ProtocolDefinition): Decision => {
  const session = visit(def, state, command.data.sessionKey, true);
  if (isRejection(session)) return refuse(session);
  const at = clinicalTimeOf(command);
  const refused = supplementalRejection(def, state, session, at);
  if (refused) return refuse(refused);
  const initial = session.dosing!.initialDose!;
  const expected = initial.amountMg * def.dosing.supplemental!.ratio;
  if (command.data.amountMg !== expected) {
    return invalid(`The supplemental dose must be ${expected} mg for this visit.`, { expectedMg: expected });
  }
  return accept(
    emit(command, 'SupplementalDoseAdministered', {
      sessionKey: session.key,
      drug: def.dosing.drug,
      amountMg: command.data.amountMg,
      lotNumber: command.data.lotNumber ?? null,
      minutesAfterInitialDose: Math.round(minutesBetween(initial.at, at)),
    }),
  );
};

const withholdSupplementalDose = (command: WithholdSupplementalDose, state: CourseState, def: ProtocolDefinition): Decision => {
  const session = visit(def, state, command.data.sessionKey, true);
  if (isRejection(session)) return refuse(session);
  if (!def.dosing.supplemental) return refuse(reject('STEP_UNKNOWN', 'This protocol has no supplemental dose.'));
  if (!session.dosing?.initialDose || session.status !== 'in_progress') {
    return refuse(reject('STEP_OUT_OF_ORDER', 'The initial dose must be given first.', { missing: 'AdministerDose' }));
  }
  if (session.dosing.supplemental) return refuse(reject('STEP_ALREADY_RECORDED', 'The supplemental dose is already given or withheld.'));
  return accept(emit(command, 'SupplementalDoseWithheld', { sessionKey: session.key, reason: command.data.reason }));
};

const recordVitals = (command: RecordVitals, state: CourseState, def: ProtocolDefinition): Decision => {
  const session = visit(def, state, command.data.sessionKey);
  if (isRejection(session)) return refuse(session);
  if (session.status !== 'in_progress') {
    return refuse(reject('STEP_OUT_OF_ORDER', 'Vital signs are recorded during a visit in progress.', { missing: 'StartSession' }));
  }
  const { timing, systolic, diastolic, heartRate } = command.data;
  const dose = session.dosing?.initialDose;
  const measuredAt = clinicalTimeOf(command);
  // A pre-dose reading entered after the dose (from the paper sheet) is one measured before it.
  if (timing === 'pre_dose' && dose && !isBefore(measuredAt, dose.at)) {
    return refuse(reject('STEP_OUT_OF_ORDER', 'The dose is already given; this is not a pre-dose reading.'));
  }
  const dosed = Boolean(dose);
  if ((timing === 'post_dose' || timing === 'discharge') && !dosed) {
    return refuse(reject('STEP_OUT_OF_ORDER', 'No dose has been given yet in this visit.', { missing: 'AdministerDose' }));
  }
  const reading = {
    sessionKey: session.key,
    timing,
    systolic,
    diastolic,
    heartRate,
    temperatureC: command.data.temperatureC ?? null,
    measuredAt,
  };
  // A reading is a fact and is always kept; a breach adds an alert rather than refusing the record.
  const limits = timing === 'pre_dose' ? def.dosing.preDose.holdAbove : def.dosing.vitals.alertAbove;
  const breaches = vitalBreaches(reading, limits);
  const recorded = emit(command, 'VitalsRecorded', reading);
  if (breaches.length === 0) return accept(recorded);
  const alert = emit({ ...command, data: unsigned(command.data) }, 'AlertRaised', {
    sessionKey: session.key,
    source: 'vitals_threshold',
    reason: `Vital signs out of range: ${breaches.join('; ')}. Repeat the measurement and have a physician evaluate.`,
    vitalsRef: state.version + 1,
  });
  return accept(recorded, alert);
};

const raiseAlert = (command: RaiseAlert, state: CourseState, def: ProtocolDefinition): Decision => {
  const key = command.data.sessionKey;
  if (key !== undefined) {
    const session = visit(def, state, key);
    if (isRejection(session)) return refuse(session);
  }
  return accept(emit(command, 'AlertRaised', { sessionKey: key ?? null, source: 'staff', reason: command.data.reason, vitalsRef: null }));
};

const dischargePatient = (command: DischargePatient, state: CourseState, def: ProtocolDefinition): Decision => {
  const session = visit(def, state, command.data.sessionKey, true);
  if (isRejection(session)) return refuse(session);
  const at = clinicalTimeOf(command);
  const refused = dischargeRejection(def, state, session, at);
  if (refused) return refuse(refused);
  const { criteriaMet, escortRef, overnightStay } = command.data;
  const rules = def.dosing.discharge;
  if (!criteriaMet) {
    return refuse(reject('DISCHARGE_CRITERIA_NOT_MET', 'The discharge criteria are not met; keep monitoring the patient.'));
  }
  if (rules.escortRequired && !escortRef) {
    return refuse(reject('DISCHARGE_CRITERIA_NOT_MET', 'Record the adult escort who takes the patient home.', { missing: 'escortRef' }));
  }
  if (rules.overnightStay && overnightStay !== true) {
    return refuse(reject('DISCHARGE_CRITERIA_NOT_MET', 'The protocol requires an overnight stay after the dosing visit.', { missing: 'overnightStay' }));
  }
  return accept(
    emit(command, 'PatientDischarged', {
      sessionKey: session.key,
      criteriaMet: true,
      escortRef: escortRef ?? null,
      overnightStay: overnightStay ?? null,
      minutesMonitored: Math.round(minutesBetween(session.dosing!.initialDose!.at, at)),
    }),
  );
};

const submitMonitoringForm = (command: SubmitMonitoringForm, state: CourseState, def: ProtocolDefinition): Decision => {
  const session = visit(def, state, command.data.sessionKey, true);
  if (isRejection(session)) return refuse(session);
  const form = def.dosing.monitoringForm;
  if (!form) return refuse(reject('STEP_UNKNOWN', 'This protocol has no monitoring form.'));
  const dueBy = monitoringFormDue(def, session);
  if (!dueBy || !session.dosing?.discharge) {
    return refuse(reject('STEP_OUT_OF_ORDER', 'The monitoring form is completed after the patient is discharged.', { missing: 'DischargePatient' }));
  }
  if (session.dosing.monitoringForm) return refuse(reject('STEP_ALREADY_RECORDED', 'The monitoring form for this visit is already submitted.'));
  const problems = outcomeProblems(form.fields, command.data.values);
  if (problems.length > 0) return invalid('The monitoring form values are not valid.', { problems });
  // A late form is still recorded (the obligation stands); it is flagged, never refused.
  const late = isBefore(dueBy, command.metadata.now);
  return accept(emit(command, 'MonitoringFormSubmitted', { sessionKey: session.key, values: command.data.values, dueBy, late }));
};

// ---------------------------------------------------------------- safety

const reportAdverseEvent = (command: ReportAdverseEvent, state: CourseState, def: ProtocolDefinition): Decision => {
  const { description, onsetAt, sessionKey, seriousSuspected } = command.data;
  if (sessionKey !== undefined) {
    const session = visit(def, state, sessionKey);
    if (isRejection(session)) return refuse(session);
  }
  const reported = emit(command, 'AdverseEventReported', {
    description,
    onsetAt,
    sessionKey: sessionKey ?? null,
    seriousSuspected: seriousSuspected ?? false,
  });
  if (!seriousSuspected) return accept(reported);
  // A suspected serious event holds dosing at once; classification can follow.
  return accept(reported, emit(command, 'SafetyHoldPlaced', holdForAdverseEvent(state.version + 1)));
};

const holdForAdverseEvent = (ref: number) =>
  ({ reason: 'Serious adverse event reported', source: 'serious_adverse_event', adverseEventRef: ref }) as const;

const classifyAdverseEvent = (command: ClassifyAdverseEvent, state: CourseState, def: ProtocolDefinition): Decision => {
  const { adverseEventRef, serious, aesiCategory, causality, severity } = command.data;
  const ae = state.adverseEvents.find((a) => a.ref === adverseEventRef);
  if (!ae) return refuse(reject('STEP_UNKNOWN', 'No adverse event was reported at that position in the record.', { adverseEventRef }));
  if (aesiCategory !== undefined && !def.aesiCategories.includes(aesiCategory)) {
    return invalid('This is not an adverse event of special interest under this protocol.', { allowed: [...def.aesiCategories] });
  }
  const classified = emit(command, 'AdverseEventClassified', {
    adverseEventRef,
    serious,
    aesiCategory: aesiCategory ?? null,
    causality,
    severity,
  });
  const alreadyHeld = state.holds.some((h) => h.adverseEventRef === adverseEventRef);
  if (!serious || alreadyHeld) return accept(classified);
  return accept(classified, emit({ ...command, data: unsigned(command.data) }, 'SafetyHoldPlaced', holdForAdverseEvent(adverseEventRef)));
};

const placeSafetyHold = (command: PlaceSafetyHold): Decision =>
  accept(emit(command, 'SafetyHoldPlaced', { reason: command.data.reason, source: 'staff', adverseEventRef: null }));

const clearSafetyHold = (command: ClearSafetyHold, state: CourseState): Decision => {
  const hold = state.holds.find((h) => h.ref === command.data.holdRef);
  if (!hold) return refuse(reject('STEP_UNKNOWN', 'No safety hold was placed at that position in the record.', { holdRef: command.data.holdRef }));
  if (hold.clearedAt !== null) return refuse(reject('STEP_ALREADY_RECORDED', 'This safety hold is already cleared.'));
  return accept(emit(command, 'SafetyHoldCleared', { holdRef: hold.ref, reason: command.data.reason }));
};

// ---------------------------------------------------------------- closing and corrections

const withdrawCourse = (command: WithdrawCourse): Decision =>
  accept(emit(command, 'CourseWithdrawn', { reason: command.data.reason, note: command.data.note ?? null }));

/** Event types whose values a correction can amend; other records are amended by recording a new one. */
const CORRECTABLE = ['AssessmentRecorded', 'VitalsRecorded'];

const correctEvent = (command: CorrectEvent, state: CourseState, def: ProtocolDefinition): Decision => {
  const { eventVersion, reason, values } = command.data;
  const type = state.eventTypes[eventVersion - 1];
  if (eventVersion < 1 || type === undefined) {
    return refuse(reject('STEP_UNKNOWN', 'There is no record at that position in this course.', { eventVersion }));
  }
  if (!CORRECTABLE.includes(type)) {
    return invalid('Only assessment values and vital-sign readings can be corrected; record a new entry instead.', { correctable: CORRECTABLE });
  }
  if (Object.keys(values).length === 0) return invalid('Give at least one corrected value.');
  // Correcting a signed record voids its signature, so the correction must itself be signed.
  const voided = state.signatures[String(eventVersion)];
  if (voided && !command.data.signature) {
    return refuse(
      reject('SIGNATURE_REQUIRED', `This record was signed; its correction must be signed electronically with the meaning "${voided.meaning}".`, {
        meaning: voided.meaning,
      }),
    );
  }
  const fields =
    type === 'AssessmentRecorded'
      ? def.instruments.find((i) => i.id === state.assessments.find((a) => a.version === eventVersion)?.instrument)?.fields ?? []
      : VITAL_FIELDS;
  const problems = outcomeProblems(fields, values, { partial: true });
  if (problems.length > 0) return invalid('The corrected values are not valid.', { problems });
  return accept(emit(command, 'EventCorrected', { eventVersion, correctedType: type, reason, values, ...(voided ? { voidedSignature: voided } : {}) }));
};

const completeCourse = (command: CompleteCourse, state: CourseState, def: ProtocolDefinition): Decision => {
  const now = command.metadata.now;
  const refused = completeCourseRejection(def, state, now);
  if (refused) return refuse(refused);
  return accept(emit(command, 'CourseCompleted', { missedAssessments: missedPoints(def, state, now).map((p) => p.key) }));
};

// ---------------------------------------------------------------- decide

/** Decides what a command means for a course: the events it produces, or why it is refused. Pure. */
/** A notice from the workflow's timers: only about a due date the course has, only once, never early. */
const recordDueDateNotice = (command: RecordDueDateNotice, state: CourseState): Decision => {
  const { notice, dueKey, dueAt } = command.data;
  const now = command.metadata.now;
  const owed = pendingNotices(state, now).find((n) => n.notice === notice && n.due.key === dueKey && n.due.dueAt === dueAt);
  if (!owed) {
    const known = availableSteps(state, now).due.some((d) => d.key === dueKey);
    return refuse(
      known
        ? reject('STEP_ALREADY_RECORDED', 'This notice about the due date was already recorded.')
        : reject('STEP_UNKNOWN', 'The course has no such due date.'),
    );
  }
  if (isBefore(now, owed.fireAt)) {
    return refuse(reject('STEP_OUT_OF_ORDER', 'This notice is not due yet.', { fireAt: owed.fireAt }));
  }
  const data = { dueKey, label: owed.due.label, command: owed.due.command, sessionKey: owed.due.sessionKey ?? null, dueAt };
  if (notice === 'reminder') return accept(emit(command, 'DueDateReminderIssued', data));
  if (notice === 'escalation') return accept(emit(command, 'DueDateEscalated', data));
  const passed = emit(command, 'DueDatePassed', data);
  if (owed.due.expiresEligibility && state.eligibleSince) {
    return accept(passed, emit(command, 'EligibilityExpired', { determinedAt: state.eligibleSince, expiredAt: dueAt }));
  }
  return accept(passed);
};

export const decide = (command: CourseCommand, state: CourseState, options: DecideOptions = {}): Decision => {
  const checked = preconditions(command, state, options);
  if (isRejection(checked)) return refuse(checked);
  const def = checked;
  switch (command.type) {
    case 'StartCourse':
      return startCourse(command, def);
    case 'RecordInformedConsent':
      return recordInformedConsent(command, state);
    case 'RecordEmergencyContact':
      return recordEmergencyContact(command, state);
    case 'RecordEligibilityCriterion':
      return recordEligibilityCriterion(command, state, def);
    case 'RecordEligibilityCriteria':
      return recordEligibilityCriteria(command, state, def);
    case 'RecordMedicalClearance':
      return recordMedicalClearance(command, state);
    case 'RecordMedicationWashout':
      return recordMedicationWashout(command, state);
    case 'RecordPregnancyTest':
      return recordPregnancyTest(command, state);
    case 'DetermineEligibility':
      return determineEligibility(command, state, def);
    case 'RecordAssessment':
      return recordAssessment(command, state, def);
    case 'ScheduleSession':
      return scheduleSession(command, state, def);
    case 'StartSession':
      return startSession(command, state, def);
    case 'CompleteSession':
      return completeSession(command, state, def);
    case 'MarkSessionMissed':
      return markSessionMissed(command, state, def);
    case 'CancelSession':
      return cancelSession(command, state, def);
    case 'RecordPreDoseChecks':
      return recordPreDoseChecks(command, state, def);
    case 'AdministerDose':
      return administerDose(command, state, def);
    case 'AdministerSupplementalDose':
      return administerSupplementalDose(command, state, def);
    case 'WithholdSupplementalDose':
      return withholdSupplementalDose(command, state, def);
    case 'RecordVitals':
      return recordVitals(command, state, def);
    case 'RaiseAlert':
      return raiseAlert(command, state, def);
    case 'DischargePatient':
      return dischargePatient(command, state, def);
    case 'SubmitMonitoringForm':
      return submitMonitoringForm(command, state, def);
    case 'ReportAdverseEvent':
      return reportAdverseEvent(command, state, def);
    case 'ClassifyAdverseEvent':
      return classifyAdverseEvent(command, state, def);
    case 'PlaceSafetyHold':
      return placeSafetyHold(command);
    case 'ClearSafetyHold':
      return clearSafetyHold(command, state);
    case 'WithdrawCourse':
      return withdrawCourse(command);
    case 'CorrectEvent':
      return correctEvent(command, state, def);
    case 'RecordDueDateNotice':
      return recordDueDateNotice(command, state);
    case 'CompleteCourse':
      return completeCourse(command, state, def);
    default: {
      const unreachable: never = command;
      throw new Error(`Unhandled command ${(unreachable as CourseCommand).type}`);
    }
  }
};
