import type {
  AssessmentPoint,
  ProtocolDefinition,
  ScreeningStep,
  SessionDefinition,
} from '../definitions/protocol-definition';
import { reject, type Rejection } from '../rejection';
import { activeHolds, type CourseState, type SessionState, type VitalsReading } from '../state';
import { vitalBreaches } from './outcome.rules';
import { addHours, addMinutes, isBefore, minutesBetween } from './time';

/**
 * Rules shared by `decide` (to refuse a command) and `availableSteps` (to say what is blocked and why), so
 * the two can never disagree. Each returns the rejection that applies, or null.
 */

export const sessionDefinition = (def: ProtocolDefinition, key: string): SessionDefinition | undefined =>
  def.sessions.find((s) => s.key === key);

export const sessionState = (state: CourseState, key: string): SessionState | undefined =>
  state.sessions.find((s) => s.key === key);

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

/** Earliest and latest start of a visit, once the visit its interval is measured from has started. */
export const sessionWindow = (
  def: ProtocolDefinition,
  state: CourseState,
  key: string,
): { earliest: string; latest: string | null } | null => {
  const interval = sessionDefinition(def, key)?.interval;
  const anchor = interval && sessionState(state, interval.from)?.startedAt;
  if (!interval || !anchor) return null;
  return {
    earliest: addHours(anchor, interval.minHours),
    latest: interval.maxHours === undefined ? null : addHours(anchor, interval.maxHours),
  };
};

/** When the medication washout ends that visit `session` waits for (its `washout_complete` gate), if one is required. */
export const washoutEndFor = (state: CourseState, session: SessionDefinition): string | null => {
  const washout = state.screening.washout;
  return session.gates.includes('washout_complete') && washout?.required && washout.endsAt ? washout.endsAt : null;
};

/**
 * When visit `key` may start (or be scheduled for) at the earliest and at the latest: its interval window,
 * and no earlier than the end of a washout it waits for. Null when neither applies yet.
 */
export const visitStartWindow = (
  def: ProtocolDefinition,
  state: CourseState,
  key: string,
): { earliest: string; latest: string | null } | null => {
  const session = sessionDefinition(def, key);
  const window = sessionWindow(def, state, key);
  const starts = [window?.earliest, session && washoutEndFor(state, session)].filter((t): t is string => typeof t === 'string');
  if (starts.length === 0) return null;
  return { earliest: starts.reduce((a, b) => (isBefore(a, b) ? b : a)), latest: window?.latest ?? null };
};

/** INTERVAL_NOT_MET before the window opens, WINDOW_CLOSED after it closes. */
const windowRejection = (
  window: { earliest: string; latest: string | null } | null,
  at: string,
  what: string,
): Rejection | null => {
  if (!window) return null;
  if (isBefore(at, window.earliest)) {
    return reject('INTERVAL_NOT_MET', `It is too early for ${what}; the protocol's minimum interval has not passed.`, {
      earliest: window.earliest,
    });
  }
  if (window.latest !== null && isBefore(window.latest, at)) {
    return reject('WINDOW_CLOSED', `The protocol's window for ${what} has closed.`, { latest: window.latest });
  }
  return null;
};

/** SAFETY_HOLD while any hold is active: dosing is blocked until a physician clears it. */
export const holdRejection = (state: CourseState): Rejection | null =>
  activeHolds(state).length === 0
    ? null
    : reject('SAFETY_HOLD', 'A safety hold is in place; dosing is blocked until a physician clears it.', {
        holdRefs: activeHolds(state).map((h) => h.ref),
      });

/** Whether the visit's gates allow it at time `at` (eligibility, washout end, safety hold). */
const gateRejection = (def: ProtocolDefinition, state: CourseState, session: SessionDefinition, at: string): Rejection | null => {
  for (const gate of session.gates) {
    if (gate === 'eligible' && state.screening.eligibility !== 'eligible') {
      return reject('STEP_OUT_OF_ORDER', 'Eligibility must be determined before this visit.', { missing: 'DetermineEligibility' });
    }
    if (gate === 'washout_complete') {
      const washout = state.screening.washout;
      if (def.screening.required.includes('washout') && washout === null) {
        return reject('STEP_OUT_OF_ORDER', 'The medication washout must be recorded before this visit.', {
          missing: 'RecordMedicationWashout',
        });
      }
      const washoutEnd = washoutEndFor(state, session);
      if (washoutEnd && isBefore(at, washoutEnd)) {
        return reject('WASHOUT_INCOMPLETE', 'The psychiatric medication washout has not ended yet.', { washoutEndsAt: washoutEnd });
      }
    }
    if (gate === 'no_safety_hold' && holdRejection(state)) return holdRejection(state);
  }
  return null;
};

/** Order rules for a visit: it must be next in line and any assessment due before it must be on record. */
const orderRejection = (def: ProtocolDefinition, state: CourseState, session: SessionDefinition): Rejection | null => {
  if (session.after && sessionState(state, session.after)?.status !== 'completed') {
    return reject('STEP_OUT_OF_ORDER', 'An earlier visit of this course must be completed first.', { missing: session.after });
  }
  const due = def.assessmentPoints.find((p) => p.before === session.key && !pointRecorded(state, p));
  if (due) {
    return reject('STEP_OUT_OF_ORDER', `The ${due.label} must be recorded before this visit.`, { missing: due.key });
  }
  return null;
};

/** Can visit `key` be scheduled for `scheduledFor`? Scheduling ahead is allowed; windows and washout apply. */
export const scheduleRejection = (
  def: ProtocolDefinition,
  state: CourseState,
  key: string,
  scheduledFor: string,
): Rejection | null => {
  const session = sessionDefinition(def, key);
  const current = sessionState(state, key);
  if (!session || !current) return reject('STEP_UNKNOWN', 'This protocol has no such visit.', { sessionKey: key });
  if (current.status === 'in_progress' || current.status === 'completed') {
    return reject('STEP_ALREADY_RECORDED', 'This visit has already started.', { sessionKey: key });
  }
  const washoutEnd = washoutEndFor(state, session);
  if (washoutEnd && isBefore(scheduledFor, washoutEnd)) {
    return reject('WASHOUT_INCOMPLETE', 'This visit cannot be scheduled before the medication washout ends.', {
      washoutEndsAt: washoutEnd,
    });
  }
  return windowRejection(sessionWindow(def, state, key), scheduledFor, 'this visit');
};

/** Can visit `key` start at `at`? */
export const startRejection = (def: ProtocolDefinition, state: CourseState, key: string, at: string): Rejection | null => {
  const session = sessionDefinition(def, key);
  const current = sessionState(state, key);
  if (!session || !current) return reject('STEP_UNKNOWN', 'This protocol has no such visit.', { sessionKey: key });
  if (current.status === 'in_progress' || current.status === 'completed') {
    return reject('STEP_ALREADY_RECORDED', 'This visit has already started.', { sessionKey: key });
  }
  const other = state.sessions.find((s) => s.status === 'in_progress');
  if (other) {
    return reject('STEP_OUT_OF_ORDER', 'Another visit is still in progress; complete it first.', { inProgress: other.key });
  }
  return (
    orderRejection(def, state, session) ?? gateRejection(def, state, session, at) ?? windowRejection(sessionWindow(def, state, key), at, 'this visit')
  );
};

// ---------------------------------------------------------------- assessment points

export const pointRecorded = (state: CourseState, point: AssessmentPoint): boolean =>
  state.assessments.some((a) => a.timepoint === point.key);

/** Window of an assessment point, once its anchor (baseline or a visit start) exists. */
export const pointWindow = (
  def: ProtocolDefinition,
  state: CourseState,
  point: AssessmentPoint,
): { earliest: string; latest: string } | null => {
  if (!point.window) return null;
  const anchor =
    point.window.from === 'baseline' ? baselineAssessment(def, state)?.recordedAt : sessionState(state, point.window.from)?.startedAt;
  if (!anchor) return null;
  return { earliest: addHours(anchor, point.window.minHours), latest: addHours(anchor, point.window.maxHours) };
};

/** Can assessment point `point` be recorded at `at`? */
export const pointRejection = (def: ProtocolDefinition, state: CourseState, point: AssessmentPoint, at: string): Rejection | null => {
  if (pointRecorded(state, point)) {
    return reject('STEP_ALREADY_RECORDED', `The ${point.label} is already recorded; correct it instead.`);
  }
  if (sessionState(state, point.after)?.status !== 'completed') {
    return reject('STEP_OUT_OF_ORDER', `The ${point.label} is due only after an earlier visit is completed.`, { missing: point.after });
  }
  return windowRejection(pointWindow(def, state, point), at, `the ${point.label}`);
};

/** Points whose window has closed without a record: reported at completion, never hidden. */
export const missedPoints = (def: ProtocolDefinition, state: CourseState, at: string): AssessmentPoint[] =>
  def.assessmentPoints.filter((p) => {
    const window = pointWindow(def, state, p);
    return !pointRecorded(state, p) && window !== null && isBefore(window.latest, at);
  });

// ---------------------------------------------------------------- dosing visit

/** Readings of the current attempt at a visit. */
export const attemptReadings = (state: CourseState, session: SessionState): VitalsReading[] =>
  state.vitals.filter((v) => v.sessionKey === session.key && v.attempt === session.attempt);

/** Latest reading of a kind in a visit (latest measurement time wins). */
export const latestReading = (state: CourseState, session: SessionState, timing?: string): VitalsReading | undefined =>
  attemptReadings(state, session)
    .filter((v) => timing === undefined || v.timing === timing)
    .reduce<VitalsReading | undefined>((latest, v) => (!latest || !isBefore(v.measuredAt, latest.measuredAt) ? v : latest), undefined);

/** The pre-dose checks the protocol asks for: STEP_OUT_OF_ORDER if missing, a specific code if failed. */
export const doseRejection = (def: ProtocolDefinition, state: CourseState, session: SessionState): Rejection | null => {
  const pre = def.dosing.preDose;
  if (session.status !== 'in_progress') {
    return reject('STEP_OUT_OF_ORDER', 'The dosing visit must be started before the dose is given.', { missing: 'StartSession' });
  }
  if (session.dosing?.initialDose) return reject('STEP_ALREADY_RECORDED', 'The dose for this visit is already recorded.');
  const hold = holdRejection(state);
  if (hold) return hold;
  if (pre.vitalsRequired) {
    const reading = latestReading(state, session, 'pre_dose');
    if (!reading) {
      return reject('STEP_OUT_OF_ORDER', 'Pre-dose vital signs must be recorded before the dose.', { missing: 'RecordVitals' });
    }
    const breaches = vitalBreaches(reading, pre.holdAbove);
    if (breaches.length > 0) {
      return reject('PREDOSE_VITALS_HIGH', `The latest pre-dose reading is too high to dose (${breaches.join('; ')}).`, { breaches });
    }
  }
  if (pre.fasting || pre.pregnancyTest) {
    const checks = session.dosing?.preDoseChecks;
    if (!checks) {
      return reject('STEP_OUT_OF_ORDER', 'The pre-dose checks must be recorded before the dose.', { missing: 'RecordPreDoseChecks' });
    }
    if (pre.fasting && !checks.fasting) {
      return reject('PREDOSE_CHECK_FAILED', 'The patient has not fasted as the protocol requires before dosing.');
    }
    if (pre.pregnancyTest && checks.pregnancyTest === 'positive') {
      return reject('PREDOSE_CHECK_FAILED', 'The pre-dose pregnancy test is positive; the dose cannot be given.');
    }
  }
  return null;
};

/** Window of the supplemental dose, once the initial dose is given. */
export const supplementalWindow = (def: ProtocolDefinition, session: SessionState): { earliest: string; latest: string } | null => {
  const supplement = def.dosing.supplemental;
  const dose = session.dosing?.initialDose;
  if (!supplement || !dose) return null;
  return {
    earliest: addMinutes(dose.at, supplement.windowMinutes.min),
    latest: addMinutes(dose.at, supplement.windowMinutes.max),
  };
};

/** Can the supplemental dose be given at `at`? (The amount is checked by the command itself.) */
export const supplementalRejection = (def: ProtocolDefinition, state: CourseState, session: SessionState, at: string): Rejection | null => {
  const supplement = def.dosing.supplemental;
  if (!supplement) return reject('STEP_UNKNOWN', 'This protocol has no supplemental dose.');
  if (!session.dosing?.initialDose || session.status !== 'in_progress') {
    return reject('STEP_OUT_OF_ORDER', 'The initial dose must be given first.', { missing: 'AdministerDose' });
  }
  if (session.dosing.supplemental) return reject('STEP_ALREADY_RECORDED', 'The supplemental dose is already given or withheld.');
  if (session.dosing.discharge) return reject('STEP_OUT_OF_ORDER', 'The patient has already been discharged from this visit.');
  const hold = holdRejection(state);
  if (hold) return hold;
  const windowed = windowRejection(supplementalWindow(def, session), at, 'the supplemental dose');
  if (windowed) return windowed;
  if (supplement.blockedByVitalsAlert) {
    const reading = latestReading(state, session);
    const breaches = reading ? vitalBreaches(reading, def.dosing.vitals.alertAbove) : [];
    if (breaches.length > 0) {
      return reject('VITALS_ABOVE_THRESHOLD', `The latest vital signs are above the alert limits (${breaches.join('; ')}).`, { breaches });
    }
  }
  return null;
};

/** Earliest discharge: the minimum monitoring time after the initial dose. */
export const earliestDischarge = (def: ProtocolDefinition, session: SessionState): string | null =>
  session.dosing?.initialDose ? addMinutes(session.dosing.initialDose.at, def.dosing.minimumMonitoringMinutes) : null;

/** Monitoring time, vitals schedule and supplemental decision before discharge. */
export const dischargeRejection = (def: ProtocolDefinition, state: CourseState, session: SessionState, at: string): Rejection | null => {
  const dose = session.dosing?.initialDose;
  if (session.status !== 'in_progress' || !dose) {
    return reject('STEP_OUT_OF_ORDER', 'A patient is discharged only after the dose of a visit in progress.', { missing: 'AdministerDose' });
  }
  if (session.dosing?.discharge) return reject('STEP_ALREADY_RECORDED', 'The discharge is already recorded.');
  const monitored = minutesBetween(dose.at, at);
  if (monitored < def.dosing.minimumMonitoringMinutes) {
    return reject('MONITORING_INCOMPLETE', 'The minimum monitoring time after the dose has not passed.', {
      minimumMinutes: def.dosing.minimumMonitoringMinutes,
      earliest: earliestDischarge(def, session),
    });
  }
  if (def.dosing.supplemental && !session.dosing?.supplemental) {
    return reject('STEP_OUT_OF_ORDER', 'Record whether the supplemental dose was given or withheld before discharge.', {
      missing: 'AdministerSupplementalDose or WithholdSupplementalDose',
    });
  }
  for (const required of def.dosing.vitals.postDose) {
    const taken = attemptReadings(state, session).some(
      (v) => v.timing === 'post_dose' && minutesBetween(dose.at, v.measuredAt) >= required.earliestMinutes,
    );
    if (!taken) {
      return reject('STEP_OUT_OF_ORDER', `The post-dose vital signs (${required.label}) must be recorded before discharge.`, {
        missing: 'RecordVitals',
      });
    }
  }
  if (def.dosing.vitals.beforeDischarge && !latestReading(state, session, 'discharge')) {
    return reject('STEP_OUT_OF_ORDER', 'Vital signs must be recorded just before discharge.', { missing: 'RecordVitals' });
  }
  return null;
};

/** A visit completes once its assessments are on record and, for a dosing visit, the patient is discharged. */
export const completeRejection = (def: ProtocolDefinition, session: SessionState): Rejection | null => {
  if (session.status !== 'in_progress') {
    return reject('STEP_OUT_OF_ORDER', 'Only a visit in progress can be completed.', { missing: 'StartSession' });
  }
  const required = sessionDefinition(def, session.key)?.requiredAssessments ?? [];
  const missing = required.filter((i) => !session.assessments.includes(i));
  if (missing.length > 0) {
    return reject('STEP_OUT_OF_ORDER', `Record the ${missing.join(', ')} for this visit before completing it.`, { missing });
  }
  if (session.dosing?.initialDose && !session.dosing.discharge) {
    return reject('STEP_OUT_OF_ORDER', 'The patient must be discharged before the dosing visit is completed.', {
      missing: 'DischargePatient',
    });
  }
  return null;
};

/** Monitoring form deadline of a dosing visit, if the protocol has one. */
export const monitoringFormDue = (def: ProtocolDefinition, session: SessionState): string | null => {
  const form = def.dosing.monitoringForm;
  const end = session.dosing?.discharge?.at ?? session.completedAt;
  return form && session.dosing?.initialDose && end ? addHours(end, form.dueWithinDays * 24) : null;
};

/** Everything the course still owes before it can be completed. */
export const completeCourseRejection = (def: ProtocolDefinition, state: CourseState, at: string): Rejection | null => {
  const open = state.sessions.filter((s) => s.status !== 'completed').map((s) => s.key);
  if (open.length > 0) return reject('STEP_OUT_OF_ORDER', 'Every visit of the course must be completed first.', { missing: open });
  const missed = new Set(missedPoints(def, state, at).map((p) => p.key));
  const points = def.assessmentPoints.filter((p) => !pointRecorded(state, p) && !missed.has(p.key)).map((p) => p.key);
  if (points.length > 0) {
    return reject('STEP_OUT_OF_ORDER', 'Assessments are still due whose window has not closed.', { missing: points });
  }
  const forms = state.sessions.filter((s) => monitoringFormDue(def, s) && !s.dosing?.monitoringForm).map((s) => s.key);
  if (forms.length > 0) {
    return reject('STEP_OUT_OF_ORDER', 'A monitoring form is still due for a dosing visit.', { missing: forms });
  }
  const unclassified = state.adverseEvents.filter((a) => a.classification === null).map((a) => a.ref);
  if (unclassified.length > 0) {
    return reject('STEP_OUT_OF_ORDER', 'Every reported adverse event must be classified before completion.', {
      adverseEventRefs: unclassified,
    });
  }
  if (activeHolds(state).length > 0) {
    return reject('SAFETY_HOLD', 'A safety hold is in place; a physician must clear it before the course is completed.');
  }
  return null;
};
