import type { CourseCommand, SignatureInput } from './command';
import { completeCourse, correctEvent, withdrawCourse } from './areas/closing/closing.decide';
import {
  administerDose,
  administerSupplementalDose,
  dischargePatient,
  recordPreDoseChecks,
  recordVitals,
  submitMonitoringForm,
  withholdSupplementalDose,
} from './areas/dosing/dosing.decide';
import { recordAssessment } from './areas/outcomes/outcomes.decide';
import { classifyAdverseEvent, clearSafetyHold, placeSafetyHold, raiseAlert, reportAdverseEvent } from './areas/safety/safety.decide';
import {
  determineEligibility,
  recordEligibilityCriteria,
  recordEligibilityCriterion,
  recordEmergencyContact,
  recordInformedConsent,
  recordMedicalClearance,
  recordMedicationWashout,
  recordPregnancyTest,
  startCourse,
} from './areas/screening/screening.decide';
import { ALLOWED_BEFORE_CONSENT, consentFirst } from './areas/screening/screening.rules';
import { cancelSession, completeSession, markSessionMissed, scheduleSession, startSession } from './areas/sessions/sessions.decide';
import { clinicalTimeRejection } from './clinical-time.rules';
import { isRejection, refuse, type Decision } from './decision';
import type { ProtocolDefinition } from './definitions/protocol-definition';
import { findProtocol } from './definitions/registry';
import { recordDueDateNotice } from './due-notices';
import { reject, type Rejection } from './rejection';
import { isCourseClosed, type CourseState } from './state';

/*
 * The decider: the checks shared by every command, then the command's own decide function in its clinical
 * area (areas/<area>/<area>.decide.ts).
 */

/** How `decide` applies rules that running courses did not always have (see `DecideOptions`). */
export type DecideOptions = {
  /**
   * The clinical-time rules (clinical-time.rules.ts). Default true. The course workflow passes false in runs
   * that began before patch `clinical-times-v1`, so that replaying their recorded commands decides as
   * it did then; a command that itself names a clinical time is always held to the rules.
   */
  clinicalTimeRules?: boolean;
};

const FIELD_NAME = /^[A-Za-z][A-Za-z0-9]{0,63}$/;
/** The API's linking fields, when given, are a SHA-256 hex digest and the record's field names (which need the hash). */
const namesSignedRecord = ({ recordHash, signedFields }: SignatureInput): boolean =>
  (recordHash === undefined || /^[0-9a-f]{64}$/.test(recordHash)) &&
  (signedFields === undefined ||
    (recordHash !== undefined &&
      Array.isArray(signedFields) &&
      signedFields.length <= 64 &&
      signedFields.every((f) => typeof f === 'string' && FIELD_NAME.test(f)) &&
      new Set(signedFields).size === signedFields.length));

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
  if (given && !namesSignedRecord(given)) {
    return reject('SIGNATURE_REQUIRED', 'The signature does not name the record signed.', { meaning: given.meaning });
  }
  const needsConsent = !ALLOWED_BEFORE_CONSENT.includes(command.type);
  if (needsConsent && !state.screening.consentRecorded) {
    return consentFirst();
  }
  const mistimed = clinicalTimeRejection(command, state, protocol, { strict: options.clinicalTimeRules !== false, needsConsent });
  if (mistimed) return mistimed;
  return protocol;
};

/** Decides what a command means for a course: the events it produces, or why it is refused. Pure. */
export const decide = (command: CourseCommand, state: CourseState, options: DecideOptions = {}): Decision => {
  const checked = preconditions(command, state, options);
  if (isRejection(checked)) return refuse(checked);
  const def = checked;
  switch (command.type) {
    // screening (areas/screening)
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
    // outcomes (areas/outcomes)
    case 'RecordAssessment':
      return recordAssessment(command, state, def);
    // sessions (areas/sessions)
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
    // dosing (areas/dosing)
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
    case 'DischargePatient':
      return dischargePatient(command, state, def);
    case 'SubmitMonitoringForm':
      return submitMonitoringForm(command, state, def);
    // safety (areas/safety)
    case 'RaiseAlert':
      return raiseAlert(command, state, def);
    case 'ReportAdverseEvent':
      return reportAdverseEvent(command, state, def);
    case 'ClassifyAdverseEvent':
      return classifyAdverseEvent(command, state, def);
    case 'PlaceSafetyHold':
      return placeSafetyHold(command);
    case 'ClearSafetyHold':
      return clearSafetyHold(command, state);
    // closing (areas/closing)
    case 'WithdrawCourse':
      return withdrawCourse(command);
    case 'CorrectEvent':
      return correctEvent(command, state, def);
    case 'CompleteCourse':
      return completeCourse(command, state, def);
    // the course workflow's own notices (due-notices.ts)
    case 'RecordDueDateNotice':
      return recordDueDateNotice(command, state);
    default: {
      const unreachable: never = command;
      throw new Error(`Unhandled command ${(unreachable as CourseCommand).type}`);
    }
  }
};
