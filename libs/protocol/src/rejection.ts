/** Stable, machine-readable reasons a command is refused. Clients switch on these; never rename one. */
export const REJECTION_CODES = [
  'COURSE_NOT_FOUND',
  'COURSE_ALREADY_STARTED',
  'COURSE_CLOSED',
  'VERSION_CONFLICT',
  'STEP_OUT_OF_ORDER',
  'STEP_ALREADY_RECORDED',
  'ROLE_NOT_PERMITTED',
  'PROTOCOL_UNKNOWN',
  'OUTCOME_INVALID',
  'STEP_UNKNOWN',
  'INTERVAL_NOT_MET',
  'WINDOW_CLOSED',
  'INELIGIBLE',
  'WASHOUT_INCOMPLETE',
  'PREDOSE_VITALS_HIGH',
  'PREDOSE_CHECK_FAILED',
  'VITALS_ABOVE_THRESHOLD',
  'MONITORING_INCOMPLETE',
  'DISCHARGE_CRITERIA_NOT_MET',
  'SAFETY_HOLD',
  'SIGNATURE_REQUIRED',
  'STEP_NOT_IN_PROTOCOL',
  // Clinical times (clinical-time.ts): a time in the future or before the step it follows, a visit scheduled in the past.
  'CLINICAL_TIME_INVALID',
  // An entry later than the protocol's lateEntryAfterMinutes without lateEntryReason.
  'LATE_ENTRY_REASON_REQUIRED',
  // Raised by the course workflow, not by the decider: the record could not be written (see README).
  'RECORD_DIVERGED',
  'RECORD_UNAVAILABLE',
  'UNSTORABLE_TEXT',
] as const;
export type RejectionCode = (typeof REJECTION_CODES)[number];

/** A refused command: a code for machines and a sentence a clinician understands. Never contains PHI. */
export type Rejection = {
  code: RejectionCode;
  message: string;
  details?: Record<string, unknown>;
};

export const reject = (code: RejectionCode, message: string, details?: Record<string, unknown>): Rejection =>
  details === undefined ? { code, message } : { code, message, details };
