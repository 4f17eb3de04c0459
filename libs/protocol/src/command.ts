import type { z } from 'zod';
import type { Actor } from './actor';
import type { CommandDataSchemas } from './areas/command-schemas';

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
 * `recordHash` and `signedFields` are set by the API (never by the client): the SHA-256 of the canonical
 * JSON of the command's data without `signature`, linking the signature to the exact record signed
 * (§11.70), and the names of the fields that record has, so that it can be rebuilt from the stored event
 * beside the fields the decider derives (see signed-record.ts).
 */
export type SignatureInput = { meaning: string; recordHash?: string; signedFields?: string[] };

type Simplify<T> = { [K in keyof T]: T[K] } & {};
/**
 * A command's `data` as its schema (areas/<area>/<area>.schemas.ts) parses it, with the API's `recordHash`
 * added to the signature. Steps that happened at a clinical time carry `performedAt` (or their own time
 * field, `consentedAt`, `measuredAt`) and `lateEntryReason`: an entry more than the protocol's
 * `lateEntryAfterMinutes` after the clinical time is a late entry and needs a reason (see clinical-time.ts).
 */
type DataOf<T extends keyof CommandDataSchemas> =
  z.output<CommandDataSchemas[T]> extends infer D
    ? 'signature' extends keyof D
      ? Simplify<Omit<D, 'signature'> & { signature?: SignatureInput }>
      : Simplify<D>
    : never;

/** A scalar value of an outcome field (assessment item, monitoring-form field, correction). */
export type OutcomeValue = string | number | boolean;
export type OutcomeValues = Record<string, OutcomeValue>;

type Command<T extends string, D> = { type: T; data: D; metadata: CommandMetadata };

// ---------------------------------------------------------------- screening

export { CRITERION_OUTCOMES, PREGNANCY_TEST_RESULTS } from './areas/screening/screening.schemas';
export type StartCourse = Command<'StartCourse', DataOf<'StartCourse'>>;
export type RecordInformedConsent = Command<'RecordInformedConsent', DataOf<'RecordInformedConsent'>>;
export type RecordEmergencyContact = Command<'RecordEmergencyContact', DataOf<'RecordEmergencyContact'>>;
/** `pass`: an inclusion criterion is met, or an exclusion criterion is absent. */
export type RecordEligibilityCriterion = Command<'RecordEligibilityCriterion', DataOf<'RecordEligibilityCriterion'>>;
/** Several criteria under one signature; one EligibilityCriterionRecorded event per criterion. */
export type RecordEligibilityCriteria = Command<'RecordEligibilityCriteria', DataOf<'RecordEligibilityCriteria'>>;
export type RecordMedicalClearance = Command<'RecordMedicalClearance', DataOf<'RecordMedicalClearance'>>;
/** `endsAt` is required when a washout is required; it gates the first dosing session. */
export type RecordMedicationWashout = Command<'RecordMedicationWashout', DataOf<'RecordMedicationWashout'>>;
export type PregnancyTestResult = RecordPregnancyTest['data']['result'];
export type RecordPregnancyTest = Command<'RecordPregnancyTest', DataOf<'RecordPregnancyTest'>>;
export type DetermineEligibility = Command<'DetermineEligibility', DataOf<'DetermineEligibility'>>;

// ---------------------------------------------------------------- assessments

/** `timepoint`: `baseline`, a session key (during that visit) or an assessment point key. */
export type RecordAssessment = Command<'RecordAssessment', DataOf<'RecordAssessment'>>;

// ---------------------------------------------------------------- sessions

export type ScheduleSession = Command<'ScheduleSession', DataOf<'ScheduleSession'>>;
export type StartSession = Command<'StartSession', DataOf<'StartSession'>>;
export type CompleteSession = Command<'CompleteSession', DataOf<'CompleteSession'>>;
export type MarkSessionMissed = Command<'MarkSessionMissed', DataOf<'MarkSessionMissed'>>;
export type CancelSession = Command<'CancelSession', DataOf<'CancelSession'>>;

// ---------------------------------------------------------------- dosing-session steps

export type RecordPreDoseChecks = Command<'RecordPreDoseChecks', DataOf<'RecordPreDoseChecks'>>;
export type AdministerDose = Command<'AdministerDose', DataOf<'AdministerDose'>>;
export type AdministerSupplementalDose = Command<'AdministerSupplementalDose', DataOf<'AdministerSupplementalDose'>>;
export type WithholdSupplementalDose = Command<'WithholdSupplementalDose', DataOf<'WithholdSupplementalDose'>>;
export { VITALS_TIMINGS } from './areas/dosing/dosing.schemas';
export type VitalsTiming = RecordVitals['data']['timing'];
/** Units: mmHg, mmHg, beats per minute, degrees Celsius. `measuredAt` defaults to the command time. */
export type RecordVitals = Command<'RecordVitals', DataOf<'RecordVitals'>>;
export type RaiseAlert = Command<'RaiseAlert', DataOf<'RaiseAlert'>>;
export type DischargePatient = Command<'DischargePatient', DataOf<'DischargePatient'>>;
export type SubmitMonitoringForm = Command<'SubmitMonitoringForm', DataOf<'SubmitMonitoringForm'>>;

// ---------------------------------------------------------------- safety

/** Every event is recorded; seriousness, AESI status and causality are classified afterwards. */
export type ReportAdverseEvent = Command<'ReportAdverseEvent', DataOf<'ReportAdverseEvent'>>;
export { CAUSALITIES, SEVERITIES } from './areas/safety/safety.schemas';
export type Causality = ClassifyAdverseEvent['data']['causality'];
export type Severity = ClassifyAdverseEvent['data']['severity'];
/** `adverseEventRef`: the stream version of the AdverseEventReported event. */
export type ClassifyAdverseEvent = Command<'ClassifyAdverseEvent', DataOf<'ClassifyAdverseEvent'>>;
export type PlaceSafetyHold = Command<'PlaceSafetyHold', DataOf<'PlaceSafetyHold'>>;
/** `holdRef`: the stream version of the SafetyHoldPlaced event. */
export type ClearSafetyHold = Command<'ClearSafetyHold', DataOf<'ClearSafetyHold'>>;

// ---------------------------------------------------------------- closing and corrections

export { WITHDRAWAL_REASONS } from './areas/closing/closing.schemas';
export type WithdrawalReason = WithdrawCourse['data']['reason'];
export type WithdrawCourse = Command<'WithdrawCourse', DataOf<'WithdrawCourse'>>;
/** Corrects the values of an earlier event, found by its stream version. The original stays in the record. */
export type CorrectEvent = Command<'CorrectEvent', DataOf<'CorrectEvent'>>;
export type CompleteCourse = Command<'CompleteCourse', DataOf<'CompleteCourse'>>;

// ---------------------------------------------------------------- the workflow's own notices

export { DUE_NOTICES } from './areas/closing/closing.schemas';
/** What the course workflow says about a due date: it is near, it has passed, it is still open a while later. */
export type DueNotice = RecordDueDateNotice['data']['notice'];
/**
 * Issued by the course workflow (role `system`) when a timer fires. `dueKey` and `dueAt` must name a due
 * date the course has at that moment (see `availableSteps`), so nothing can be announced that is not due.
 */
export type RecordDueDateNotice = Command<'RecordDueDateNotice', DataOf<'RecordDueDateNotice'>>;

export type CourseCommand =
  | StartCourse
  | RecordInformedConsent
  | RecordEmergencyContact
  | RecordEligibilityCriterion
  | RecordEligibilityCriteria
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

type Exactly<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
/**
 * Compile-time proof that there is exactly one schema per command type. The command types are derived
 * from the schemas (`DataOf` above), so a type without a schema does not compile, and a schema without a
 * command type does not compile here. (`satisfies Record<CourseCommandType, ...>` on the schemas object
 * itself would be circular for that reason; kept here so that the schemas import nothing from this file.)
 */
export type OneSchemaPerCommand = Assert<Exactly<keyof CommandDataSchemas, CourseCommandType>>;
