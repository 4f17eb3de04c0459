import type { Actor } from './actor';
import type {
  Causality,
  OutcomeValues,
  PregnancyTestResult,
  Severity,
  VitalsTiming,
  WithdrawalReason,
} from './command';

/** Who, when and why: copied from the command that produced the event. */
export type EventMetadata = {
  actor: Actor;
  occurredAt: string;
  correlationId: string;
  /** The id of the command that produced the event (absent on events recorded before command ids). */
  commandId?: string;
};

/**
 * Part 11 §11.50 manifestation: who signed (id and printed name), when (UTC) and what the signature means;
 * §11.70 linking: the hash of the record signed and the fields of the event's data that record is made of
 * (`signedFields`; absent on events signed before it, whose record is the data without `signature`).
 */
export type SignatureManifestation = { signerId: string; printedName: string; signedAt: string; meaning: string; recordHash?: string; signedFields?: string[] };
type Signed = { signature?: SignatureManifestation };
/** A step entered more than the protocol's `lateEntryAfterMinutes` after it happened: why, and how late. */
export type LateEntry = { reason: string; minutesAfter: number };
/**
 * Since clinical times: when the step happened (`performedAt`; the entry time is `metadata.occurredAt`)
 * and, for a late entry, why it is entered late (`lateEntryReason`, present exactly when the entry was
 * late). The data is the command's as given, so a signature's record hash can be recomputed from it.
 * Events stored before carry neither; upcasting gives them their entry time, which is what they recorded.
 */
type Timed = { performedAt: string; lateEntryReason?: string };
/** A step with a clinical time of its own (`consentedAt`, `measuredAt`) adds only the late-entry reason. */
type LateFlagged = { lateEntryReason?: string };

type Event<T extends string, D> = { type: T; schemaVersion: number; data: D; metadata: EventMetadata };

export type CourseStarted = Event<
  'CourseStarted',
  { courseId: string; patientRef: string; siteId: string; protocolId: string; protocolVersion: number } & Timed
>;
/** Schema v2 added `consentsToRecording` (null: not stated, as in every v1 event). */
export type InformedConsentRecorded = Event<
  'InformedConsentRecorded',
  { consentFormVersion: string; consentedAt: string; consentsToRecording: boolean | null } & LateFlagged & Signed
>;
export type EmergencyContactRecorded = Event<'EmergencyContactRecorded', { contactRef: string } & Signed>;
export type EligibilityCriterionRecorded = Event<
  'EligibilityCriterionRecorded',
  { criterionId: string; outcome: 'pass' | 'fail'; evidence: string } & Timed & Signed
>;
export type MedicalClearanceRecorded = Event<'MedicalClearanceRecorded', { cleared: boolean; evidence: string } & Timed & Signed>;
export type MedicationWashoutRecorded = Event<'MedicationWashoutRecorded', { required: boolean; endsAt: string | null } & Signed>;
export type PregnancyTestRecorded = Event<'PregnancyTestRecorded', { result: PregnancyTestResult } & Timed & Signed>;
export type EligibilityDetermined = Event<'EligibilityDetermined', { eligible: boolean; reason: string | null } & Timed & Signed>;
export type AssessmentRecorded = Event<
  'AssessmentRecorded',
  { instrument: string; timepoint: string; values: OutcomeValues } & Timed & Signed
>;
export type SessionScheduled = Event<'SessionScheduled', { sessionKey: string; scheduledFor: string } & Signed>;
export type SessionStarted = Event<'SessionStarted', { sessionKey: string } & Timed & Signed>;
export type SessionCompleted = Event<'SessionCompleted', { sessionKey: string } & Timed & Signed>;
export type SessionMissed = Event<'SessionMissed', { sessionKey: string; reason: string } & Timed & Signed>;
export type SessionCancelled = Event<'SessionCancelled', { sessionKey: string; reason: string } & Timed & Signed>;
export type PreDoseChecksRecorded = Event<
  'PreDoseChecksRecorded',
  { sessionKey: string; fasting: boolean; pregnancyTest: PregnancyTestResult } & Timed & Signed
>;
export type DoseAdministered = Event<
  'DoseAdministered',
  { sessionKey: string; drug: string; amountMg: number; lotNumber: string | null } & Timed & Signed
>;
export type SupplementalDoseAdministered = Event<
  'SupplementalDoseAdministered',
  { sessionKey: string; drug: string; amountMg: number; lotNumber: string | null; minutesAfterInitialDose: number } & Timed & Signed
>;
export type SupplementalDoseWithheld = Event<'SupplementalDoseWithheld', { sessionKey: string; reason: string } & Timed & Signed>;
export type VitalsRecorded = Event<
  'VitalsRecorded',
  {
    sessionKey: string;
    timing: VitalsTiming;
    systolic: number;
    diastolic: number;
    heartRate: number;
    temperatureC: number | null;
    measuredAt: string;
  } & LateFlagged & Signed
>;
/** `vitalsRef`: stream version of the reading that breached, when raised by a threshold. */
export type AlertRaised = Event<
  'AlertRaised',
  { sessionKey: string | null; source: 'vitals_threshold' | 'staff'; reason: string; vitalsRef: number | null } & Timed & Signed
>;
export type PatientDischarged = Event<
  'PatientDischarged',
  { sessionKey: string; criteriaMet: true; escortRef: string | null; overnightStay: boolean | null; minutesMonitored: number } & Timed & Signed
>;
export type MonitoringFormSubmitted = Event<
  'MonitoringFormSubmitted',
  { sessionKey: string; values: OutcomeValues; dueBy: string; late: boolean } & Signed
>;
export type AdverseEventReported = Event<
  'AdverseEventReported',
  { description: string; onsetAt: string; sessionKey: string | null; seriousSuspected: boolean } & Signed
>;
export type AdverseEventClassified = Event<
  'AdverseEventClassified',
  { adverseEventRef: number; serious: boolean; aesiCategory: string | null; causality: Causality; severity: Severity } & Signed
>;
/** `adverseEventRef` is set when a (suspected) serious adverse event placed the hold. */
export type SafetyHoldPlaced = Event<
  'SafetyHoldPlaced',
  { reason: string; source: 'staff' | 'serious_adverse_event'; adverseEventRef: number | null } & Signed
>;
export type SafetyHoldCleared = Event<'SafetyHoldCleared', { holdRef: number; reason: string } & Signed>;
export type CourseWithdrawn = Event<'CourseWithdrawn', { reason: WithdrawalReason | 'screen_failed'; note: string | null } & Timed & Signed>;
export type EventCorrected = Event<
  'EventCorrected',
  {
    eventVersion: number;
    correctedType: string;
    reason: string;
    values: OutcomeValues;
    /** The signature of the corrected record, void from this event on (the correction carries its own). */
    voidedSignature?: SignatureManifestation;
  } & Signed
>;
/** `missedAssessments`: assessment points whose window closed unrecorded (kept visible, not hidden). */
export type CourseCompleted = Event<'CourseCompleted', { missedAssessments: string[] } & Signed>;

/** What a due-date notice is about: the step, the visit, and when it is due. No personal data. */
type DueDateData = { dueKey: string; label: string; command: string; sessionKey: string | null; dueAt: string };
export type DueDateReminderIssued = Event<'DueDateReminderIssued', DueDateData>;
export type DueDatePassed = Event<'DueDatePassed', DueDateData>;
export type DueDateEscalated = Event<'DueDateEscalated', DueDateData>;
/** The eligibility determination went stale before the first dosing visit started; it must be made again. */
export type EligibilityExpired = Event<'EligibilityExpired', { determinedAt: string; expiredAt: string }>;

export type CourseEvent =
  | CourseStarted
  | InformedConsentRecorded
  | EmergencyContactRecorded
  | EligibilityCriterionRecorded
  | MedicalClearanceRecorded
  | MedicationWashoutRecorded
  | PregnancyTestRecorded
  | EligibilityDetermined
  | AssessmentRecorded
  | SessionScheduled
  | SessionStarted
  | SessionCompleted
  | SessionMissed
  | SessionCancelled
  | PreDoseChecksRecorded
  | DoseAdministered
  | SupplementalDoseAdministered
  | SupplementalDoseWithheld
  | VitalsRecorded
  | AlertRaised
  | PatientDischarged
  | MonitoringFormSubmitted
  | AdverseEventReported
  | AdverseEventClassified
  | SafetyHoldPlaced
  | SafetyHoldCleared
  | CourseWithdrawn
  | EventCorrected
  | CourseCompleted
  | DueDateReminderIssued
  | DueDatePassed
  | DueDateEscalated
  | EligibilityExpired;
export type CourseEventType = CourseEvent['type'];

/** Current schema version of each event type. Older stored versions go through `upcastEvent`. */
export const EVENT_SCHEMA_VERSIONS: Record<CourseEventType, number> = {
  CourseStarted: 2,
  InformedConsentRecorded: 3,
  EmergencyContactRecorded: 1,
  EligibilityCriterionRecorded: 2,
  MedicalClearanceRecorded: 2,
  MedicationWashoutRecorded: 1,
  PregnancyTestRecorded: 2,
  EligibilityDetermined: 2,
  AssessmentRecorded: 2,
  SessionScheduled: 1,
  SessionStarted: 2,
  SessionCompleted: 2,
  SessionMissed: 2,
  SessionCancelled: 2,
  PreDoseChecksRecorded: 2,
  DoseAdministered: 2,
  SupplementalDoseAdministered: 2,
  SupplementalDoseWithheld: 2,
  VitalsRecorded: 2,
  AlertRaised: 2,
  PatientDischarged: 2,
  MonitoringFormSubmitted: 1,
  AdverseEventReported: 1,
  AdverseEventClassified: 1,
  SafetyHoldPlaced: 1,
  SafetyHoldCleared: 1,
  CourseWithdrawn: 2,
  EventCorrected: 1,
  CourseCompleted: 1,
  DueDateReminderIssued: 1,
  DueDatePassed: 1,
  DueDateEscalated: 1,
  EligibilityExpired: 1,
};
/** Event types that carry `performedAt` (and a late entry's reason) since clinical times, and those that carry only the reason. */
export const TIMED_EVENT_TYPES: readonly CourseEventType[] = ['CourseStarted', 'EligibilityCriterionRecorded', 'MedicalClearanceRecorded', 'PregnancyTestRecorded', 'EligibilityDetermined', 'AssessmentRecorded', 'SessionStarted', 'SessionCompleted', 'SessionMissed', 'SessionCancelled', 'PreDoseChecksRecorded', 'DoseAdministered', 'SupplementalDoseAdministered', 'SupplementalDoseWithheld', 'AlertRaised', 'PatientDischarged', 'CourseWithdrawn'];
export const LATE_FLAGGED_EVENT_TYPES: readonly CourseEventType[] = ['InformedConsentRecorded', 'VitalsRecorded'];
export const EVENT_TYPES = Object.keys(EVENT_SCHEMA_VERSIONS) as CourseEventType[];
