import type { Actor } from './actor';

/** Context every command carries. The decider has no clock: `now` is the authoritative time (UTC ISO-8601). */
export type CommandMetadata = {
  actor: Actor;
  now: string;
  correlationId: string;
  /** If given, the command is refused with VERSION_CONFLICT unless the course is at exactly this version. */
  expectedVersion?: number;
  /** The command's id (its Temporal Update id), kept with its events so a retry can be recognised. */
  commandId?: string;
};

/**
 * An e-signature request, sent in `data.signature` of any command except StartCourse. The decider checks
 * only that it is present and states the meaning the protocol requires; the API re-authenticates the
 * signer before the command reaches the decider. The event stores the manifestation (signer, name, time, meaning).
 * `recordHash` is set by the API (never by the client): the SHA-256 of the canonical JSON of the command's
 * data without `signature`, linking the signature to the exact record signed (§11.70).
 */
export type SignatureInput = { meaning: string; recordHash?: string };
type Signable = { signature?: SignatureInput };
/**
 * When a step happened (its clinical time, UTC), if not at the moment it is entered; the entry time is
 * the command's `metadata.now`. An entry more than the protocol's `lateEntryAfterMinutes` after the
 * clinical time is a late entry and needs `lateEntryReason` (ALCOA+ "contemporaneous"). See clinical-time.ts.
 */
type Timed = { performedAt?: string; lateEntryReason?: string };
/** A step whose own time field (`consentedAt`, `measuredAt`) is its clinical time: only the late-entry reason is added. */
type LateEntryReason = { lateEntryReason?: string };

/** A scalar value of an outcome field (assessment item, monitoring-form field, correction). */
export type OutcomeValue = string | number | boolean;
export type OutcomeValues = Record<string, OutcomeValue>;

type Command<T extends string, D> = { type: T; data: D; metadata: CommandMetadata };

// ---------------------------------------------------------------- screening

export type StartCourse = Command<'StartCourse', { courseId: string; patientRef: string; siteId: string; protocolId: string } & Timed>;
export type RecordInformedConsent = Command<
  'RecordInformedConsent',
  { consentFormVersion: string; consentedAt: string; consentsToRecording?: boolean } & LateEntryReason & Signable
>;
export type RecordEmergencyContact = Command<'RecordEmergencyContact', { contactRef: string } & Signable>;
/** `pass`: an inclusion criterion is met, or an exclusion criterion is absent. */
export type RecordEligibilityCriterion = Command<
  'RecordEligibilityCriterion',
  { criterionId: string; outcome: 'pass' | 'fail'; evidence: string } & Timed & Signable
>;
export type RecordMedicalClearance = Command<'RecordMedicalClearance', { cleared: boolean; evidence: string } & Timed & Signable>;
/** `endsAt` is required when a washout is required; it gates the first dosing session. */
export type RecordMedicationWashout = Command<'RecordMedicationWashout', { required: boolean; endsAt?: string } & Signable>;
export type PregnancyTestResult = 'negative' | 'positive' | 'not_applicable';
export type RecordPregnancyTest = Command<'RecordPregnancyTest', { result: PregnancyTestResult } & Timed & Signable>;
export type DetermineEligibility = Command<'DetermineEligibility', { eligible: boolean; reason?: string } & Timed & Signable>;

// ---------------------------------------------------------------- assessments

/** `timepoint`: `baseline`, a session key (during that visit) or an assessment point key. */
export type RecordAssessment = Command<
  'RecordAssessment',
  { instrument: string; timepoint: string; values: OutcomeValues } & Timed & Signable
>;

// ---------------------------------------------------------------- sessions

export type ScheduleSession = Command<'ScheduleSession', { sessionKey: string; scheduledFor: string } & Signable>;
export type StartSession = Command<'StartSession', { sessionKey: string } & Timed & Signable>;
export type CompleteSession = Command<'CompleteSession', { sessionKey: string } & Timed & Signable>;
export type MarkSessionMissed = Command<'MarkSessionMissed', { sessionKey: string; reason: string } & Timed & Signable>;
export type CancelSession = Command<'CancelSession', { sessionKey: string; reason: string } & Timed & Signable>;

// ---------------------------------------------------------------- dosing-session steps

export type RecordPreDoseChecks = Command<
  'RecordPreDoseChecks',
  { sessionKey: string; fasting: boolean; pregnancyTest: PregnancyTestResult } & Timed & Signable
>;
export type AdministerDose = Command<'AdministerDose', { sessionKey: string; amountMg: number; lotNumber?: string } & Timed & Signable>;
export type AdministerSupplementalDose = Command<
  'AdministerSupplementalDose',
  { sessionKey: string; amountMg: number; lotNumber?: string } & Timed & Signable
>;
export type WithholdSupplementalDose = Command<'WithholdSupplementalDose', { sessionKey: string; reason: string } & Timed & Signable>;
export const VITALS_TIMINGS = ['pre_dose', 'post_dose', 'discharge', 'other'] as const;
export type VitalsTiming = (typeof VITALS_TIMINGS)[number];
/** Units: mmHg, mmHg, beats per minute, degrees Celsius. `measuredAt` defaults to the command time. */
export type RecordVitals = Command<
  'RecordVitals',
  {
    sessionKey: string;
    timing: VitalsTiming;
    systolic: number;
    diastolic: number;
    heartRate: number;
    temperatureC?: number;
    measuredAt?: string;
  } & LateEntryReason &
    Signable
>;
export type RaiseAlert = Command<'RaiseAlert', { sessionKey?: string; reason: string } & Timed & Signable>;
export type DischargePatient = Command<
  'DischargePatient',
  { sessionKey: string; criteriaMet: boolean; escortRef?: string; overnightStay?: boolean } & Timed & Signable
>;
export type SubmitMonitoringForm = Command<'SubmitMonitoringForm', { sessionKey: string; values: OutcomeValues } & Signable>;

// ---------------------------------------------------------------- safety

/** Every event is recorded; seriousness, AESI status and causality are classified afterwards. */
export type ReportAdverseEvent = Command<
  'ReportAdverseEvent',
  { description: string; onsetAt: string; sessionKey?: string; seriousSuspected?: boolean } & Signable
>;
export const CAUSALITIES = ['not_related', 'unlikely', 'possible', 'probable', 'definite'] as const;
export type Causality = (typeof CAUSALITIES)[number];
export const SEVERITIES = ['mild', 'moderate', 'severe'] as const;
export type Severity = (typeof SEVERITIES)[number];
/** `adverseEventRef`: the stream version of the AdverseEventReported event. */
export type ClassifyAdverseEvent = Command<
  'ClassifyAdverseEvent',
  { adverseEventRef: number; serious: boolean; aesiCategory?: string; causality: Causality; severity: Severity } & Signable
>;
export type PlaceSafetyHold = Command<'PlaceSafetyHold', { reason: string } & Signable>;
/** `holdRef`: the stream version of the SafetyHoldPlaced event. */
export type ClearSafetyHold = Command<'ClearSafetyHold', { holdRef: number; reason: string } & Signable>;

// ---------------------------------------------------------------- closing and corrections

export const WITHDRAWAL_REASONS = [
  'participant_decision',
  'investigator_decision',
  'adverse_event',
  'lost_to_follow_up',
  'other',
] as const;
export type WithdrawalReason = (typeof WITHDRAWAL_REASONS)[number];
export type WithdrawCourse = Command<'WithdrawCourse', { reason: WithdrawalReason; note?: string } & Timed & Signable>;
/** Corrects the values of an earlier event, found by its stream version. The original stays in the record. */
export type CorrectEvent = Command<'CorrectEvent', { eventVersion: number; reason: string; values: OutcomeValues } & Signable>;
export type CompleteCourse = Command<'CompleteCourse', Signable>;

// ---------------------------------------------------------------- the workflow's own notices

export const DUE_NOTICES = ['reminder', 'overdue', 'escalation'] as const;
/** What the course workflow says about a due date: it is near, it has passed, it is still open a while later. */
export type DueNotice = (typeof DUE_NOTICES)[number];
/**
 * Issued by the course workflow (role `system`) when a timer fires. `dueKey` and `dueAt` must name a due
 * date the course has at that moment (see `availableSteps`), so nothing can be announced that is not due.
 */
export type RecordDueDateNotice = Command<'RecordDueDateNotice', { notice: DueNotice; dueKey: string; dueAt: string }>;

export type CourseCommand =
  | StartCourse
  | RecordInformedConsent
  | RecordEmergencyContact
  | RecordEligibilityCriterion
  | RecordMedicalClearance
  | RecordMedicationWashout
  | RecordPregnancyTest
  | DetermineEligibility
  | RecordAssessment
  | ScheduleSession
  | StartSession
  | CompleteSession
  | MarkSessionMissed
  | CancelSession
  | RecordPreDoseChecks
  | AdministerDose
  | AdministerSupplementalDose
  | WithholdSupplementalDose
  | RecordVitals
  | RaiseAlert
  | DischargePatient
  | SubmitMonitoringForm
  | ReportAdverseEvent
  | ClassifyAdverseEvent
  | PlaceSafetyHold
  | ClearSafetyHold
  | WithdrawCourse
  | CorrectEvent
  | CompleteCourse
  | RecordDueDateNotice;
export type CourseCommandType = CourseCommand['type'];
