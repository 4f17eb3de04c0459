import type { Causality, DueNotice, OutcomeValues, PregnancyTestResult, Severity, VitalsTiming } from './command';
import type { SignatureManifestation } from './event';

export type CourseStatus = 'not_started' | 'active' | 'on_hold' | 'withdrawn' | 'completed';
export type SessionStatus = 'pending' | 'scheduled' | 'in_progress' | 'completed';

/** What happened in the current attempt at a dosing visit. Reset when the visit is cancelled before the dose. */
export type DosingRecord = {
  /** `at` is absent in states folded before clinical times were kept. */
  preDoseChecks: { fasting: boolean; pregnancyTest: PregnancyTestResult; at?: string } | null;
  initialDose: { amountMg: number; at: string } | null;
  supplemental: { outcome: 'given'; amountMg: number; at: string } | { outcome: 'withheld'; reason: string; at: string } | null;
  discharge: { at: string; escortRef: string | null; overnightStay: boolean | null } | null;
  monitoringForm: { submittedAt: string; late: boolean } | null;
};

export type SessionState = {
  key: string;
  status: SessionStatus;
  scheduledFor: string | null;
  startedAt: string | null;
  completedAt: string | null;
  /** Increases when a visit is missed or cancelled, so readings of an abandoned attempt are not reused. */
  attempt: number;
  missedCount: number;
  cancelledCount: number;
  /** Instruments recorded during the current attempt. */
  assessments: string[];
  dosing: DosingRecord | null;
};

/** A vital-sign reading; `version` is its event's stream version (corrections update the values here). */
export type VitalsReading = {
  version: number;
  sessionKey: string;
  attempt: number;
  timing: VitalsTiming;
  systolic: number;
  diastolic: number;
  heartRate: number;
  temperatureC: number | null;
  measuredAt: string;
};

export type AssessmentRecord = {
  version: number;
  instrument: string;
  timepoint: string;
  values: OutcomeValues;
  recordedAt: string;
};

export type AdverseEventRecord = {
  ref: number;
  reportedAt: string;
  sessionKey: string | null;
  seriousSuspected: boolean;
  classification: { serious: boolean; aesiCategory: string | null; causality: Causality; severity: Severity } | null;
};

export type SafetyHold = {
  ref: number;
  reason: string;
  placedAt: string;
  adverseEventRef: number | null;
  clearedAt: string | null;
};

export type CourseState = {
  /** Number of events folded so far; the stream version of the last one. */
  version: number;
  status: CourseStatus;
  courseId: string | null;
  siteId: string | null;
  protocol: { id: string; version: number } | null;
  phase: 'screening' | 'preparation' | 'treatment' | 'follow_up' | 'closed' | null;
  startedAt: string | null;
  closedAt: string | null;
  closedReason: 'completed' | 'withdrawn' | 'screen_failed' | null;
  /** Times are clinical times (when it happened), not entry times; see clinical-time.ts. */
  screening: {
    consentRecorded: boolean;
    /** When consent was given. Absent in a state folded before it was kept (carried over by continue-as-new). */
    consentedAt?: string | null;
    /** Latest clinical time of a screening record (criterion, clearance, pregnancy test, baseline assessment). */
    lastRecordedAt?: string | null;
    emergencyContactRecorded: boolean;
    /** Latest outcome per criterion id. */
    criteria: Record<string, 'pass' | 'fail'>;
    medicalClearance: boolean | null;
    washout: { required: boolean; endsAt: string | null } | null;
    pregnancyTest: PregnancyTestResult | null;
    eligibility: 'eligible' | 'ineligible' | null;
  };
  sessions: SessionState[];
  assessments: AssessmentRecord[];
  vitals: VitalsReading[];
  alertCount: number;
  adverseEvents: AdverseEventRecord[];
  holds: SafetyHold[];
  corrections: { version: number; eventVersion: number; reason: string }[];
  /** Type of every folded event, by stream version - 1; lets a correction name what it corrects. */
  eventTypes: string[];
  /** Valid signature manifestations by the stream version of the signed event; a correction voids its entry. */
  signatures: Record<string, SignatureManifestation>;
  /** Due-date notices already recorded, by due key, so a timer never announces the same thing twice. */
  notices: Record<string, DueNotice[]>;
  /** When the current eligibility determination was recorded (it can expire). */
  eligibleSince: string | null;
};

/** A withdrawn or completed course: nothing more may be recorded on it. */
export const isCourseClosed = (state: Pick<CourseState, 'status'>): boolean => state.status === 'withdrawn' || state.status === 'completed';

export const initialState = (): CourseState => ({
  version: 0,
  status: 'not_started',
  courseId: null,
  siteId: null,
  protocol: null,
  phase: null,
  startedAt: null,
  closedAt: null,
  closedReason: null,
  screening: {
    consentRecorded: false,
    consentedAt: null,
    lastRecordedAt: null,
    emergencyContactRecorded: false,
    criteria: {},
    medicalClearance: null,
    washout: null,
    pregnancyTest: null,
    eligibility: null,
  },
  sessions: [],
  assessments: [],
  vitals: [],
  alertCount: 0,
  adverseEvents: [],
  holds: [],
  corrections: [],
  eventTypes: [],
  signatures: {},
  notices: {},
  eligibleSince: null,
});

/** Holds not yet cleared. */
export const activeHolds = (state: CourseState): SafetyHold[] => state.holds.filter((h) => h.clearedAt === null);
