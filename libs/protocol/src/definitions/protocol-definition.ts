import type { StaffRole } from '../actor';
import type { CourseCommandType } from '../command';
import type { OutcomeField } from './outcome-field';

/**
 * The format of a protocol definition. A protocol is data: the engine (`decide.ts` and the clinical
 * areas under `areas/`) reads it, never branches on a protocol id, and every course pins the id and
 * version it started under. Durations are in hours or minutes as named; every clinical number lives
 * here, never in the engine. The fields of instruments and forms are `OutcomeField`s (outcome-field.ts).
 */

/** Who answers an instrument: `patient` for a self-report questionnaire (e.g. sent by an e-PRO system). */
export const REPORTERS = ['patient'] as const;
export type Reporter = (typeof REPORTERS)[number];

/** A rating scale or questionnaire the protocol uses (CAPS-5, C-SSRS...). */
export type InstrumentDefinition = {
  id: string;
  title: string;
  fields: readonly OutcomeField[];
  /**
   * Never owed: no visit, baseline threshold or assessment point may require it, so it never blocks a step
   * or completion. It may be recorded at baseline, during a visit and alongside an assessment point whose
   * own instrument is already on record.
   */
  optional?: true;
  reportedBy?: Reporter;
  /** LOINC code of the instrument (its panel), with its check digit. */
  loinc?: string;
};

/** Vital-sign limits; a reading strictly above any given limit breaches. */
export type VitalThresholds = {
  systolicAbove?: number;
  diastolicAbove?: number;
  heartRateAbove?: number;
  temperatureCAbove?: number;
};

/** Part 11 §11.50 meanings a signature can carry. */
export const SIGNATURE_MEANINGS = ['approval', 'review', 'responsibility', 'authorship'] as const;
export type SignatureMeaning = (typeof SIGNATURE_MEANINGS)[number];

export const SCREENING_STEPS = [
  'consent',
  'emergency_contact',
  'criteria',
  'baseline_assessment',
  'medical_clearance',
  'washout',
  'pregnancy_test',
] as const;
/** Screening items that must be on record before eligibility can be determined. */
export type ScreeningStep = (typeof SCREENING_STEPS)[number];

export type EligibilityCriterion = { id: string; kind: 'inclusion' | 'exclusion'; text: string };

export type ScreeningDefinition = {
  /** Checklist items; each is recorded with its own evidence. */
  criteria: readonly EligibilityCriterion[];
  required: readonly ScreeningStep[];
  /** Baseline score that makes a patient eligible: `instrument.field >= minimum`. */
  baseline?: { instrument: string; field: string; minimum: number };
  /** Days an eligibility determination stays valid if the first dosing visit has not started. */
  eligibilityValidDays?: number;
};

export const SESSION_KINDS = ['preparatory', 'dosing', 'integration'] as const;
export type SessionKind = (typeof SESSION_KINDS)[number];
export type CoursePhase = 'screening' | 'preparation' | 'treatment' | 'follow_up' | 'closed';

/** Conditions checked before a session may start. */
export const GATES = ['eligible', 'washout_complete', 'no_safety_hold'] as const;
export type Gate = (typeof GATES)[number];

/** One visit of the course, in order. */
export type SessionDefinition = {
  key: string;
  label: string;
  kind: SessionKind;
  phase: 'preparation' | 'treatment' | 'follow_up';
  durationMinutes?: number;
  /** The visit that must be completed before this one can be scheduled or started. */
  after?: string;
  /** Time from the start of visit `from` to the start of this one. `maxHours` absent: no upper limit. */
  interval?: { from: string; minHours: number; maxHours?: number };
  gates: readonly Gate[];
  /** Instruments that must be recorded during the visit before it can be completed. */
  requiredAssessments: readonly string[];
};

/** An assessment due outside a visit (e.g. CAPS-5 after a dosing session, the primary endpoint). */
export type AssessmentPoint = {
  key: string;
  label: string;
  instrument: string;
  /** Visit that must be completed first. */
  after: string;
  /** If set, this visit cannot start until the assessment is recorded. */
  before?: string;
  /** Window measured from the baseline assessment (`'baseline'`) or the start of a visit. */
  window?: { from: string; minHours: number; maxHours: number };
};

export type SupplementalDoseDefinition = {
  /** Supplement = initial dose × ratio. */
  ratio: number;
  /** Window after the initial dose, in minutes. */
  windowMinutes: { min: number; max: number };
  /** A vital-sign alert on the latest reading blocks the supplement. */
  blockedByVitalsAlert: boolean;
};

export type DosingDefinition = {
  drug: string;
  unit: 'mg';
  /** Allowed initial doses; absent means any dose within `initialDoseRange`. */
  initialDoseOptions?: readonly number[];
  initialDoseRange?: { min: number; max: number };
  supplemental?: SupplementalDoseDefinition;
  preDose: {
    vitalsRequired: boolean;
    /** A pre-dose reading above these holds the dose. */
    holdAbove: VitalThresholds;
    pregnancyTest: boolean;
    fasting: boolean;
  };
  vitals: {
    /** A reading above these during the session raises an alert. */
    alertAbove?: VitalThresholds;
    /** Readings required after the dose, e.g. about 40 minutes after. */
    postDose: readonly { label: string; targetMinutes: number; earliestMinutes: number }[];
    beforeDischarge: boolean;
  };
  /** Minimum time from the initial dose to discharge. */
  minimumMonitoringMinutes: number;
  discharge: { escortRequired: boolean; overnightStay: boolean };
  /** A monitoring record due after every dosing session (e.g. the Spravato REMS patient monitoring form). */
  monitoringForm?: { dueWithinDays: number; fields: readonly OutcomeField[] };
};

export type ProtocolDefinition = {
  id: string;
  version: number;
  title: string;
  /** Which roles may perform each command. A command missing here is refused for everyone. */
  permissions: Partial<Record<CourseCommandType, readonly StaffRole[]>>;
  /** Commands that need an electronic signature, with the meaning the signer must state. */
  signatures: Partial<Record<CourseCommandType, SignatureMeaning>>;
  instruments: readonly InstrumentDefinition[];
  screening: ScreeningDefinition;
  sessions: readonly SessionDefinition[];
  dosing: DosingDefinition;
  assessmentPoints: readonly AssessmentPoint[];
  /** Adverse events of special interest a classification may name. */
  aesiCategories: readonly string[];
  /** When the course workflow reminds, marks overdue and escalates around each due date. */
  notifications: NotificationsDefinition;
  /**
   * Minutes after a step's clinical time within which entering it counts as contemporaneous; a later
   * entry needs a `lateEntryReason` and is flagged as a late entry. Absent: DEFAULT_LATE_ENTRY_AFTER_MINUTES.
   */
  lateEntryAfterMinutes?: number;
};

/** 60 minutes [I]: a session written up straight after it ends is contemporaneous; the next morning is not. */
export const DEFAULT_LATE_ENTRY_AFTER_MINUTES = 60;

/** Timing of the workflow's own notices about due dates (all [I]: site configuration, not clinical facts). */
export type NotificationsDefinition = {
  /** A reminder this many hours before a due date (0: no reminders). */
  reminderLeadHours: number;
  /** An escalation this many hours after a due date passed with the step still open. */
  escalateAfterHours: number;
};

/** Hours in `n` days; keeps definitions readable. */
export const days = (n: number): number => n * 24;
/** Hours in `n` weeks. */
export const weeks = (n: number): number => n * 7 * 24;
