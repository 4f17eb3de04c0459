import type { ProtocolDefinition, SessionDefinition } from '../../definitions/protocol-definition';
import { reject, type Rejection } from '../../rejection';
import type { CourseState, SessionState } from '../../state';
import { addHours, isBefore } from '../../time';
import { windowRejection } from '../../window';
import { pointRecorded } from '../outcomes/outcomes.rules';
import { holdRejection } from '../safety/safety.rules';
import { sessionDefinition, sessionState } from '../visits';

/**
 * The rules of the visits, shared by `decide` (to refuse a command) and `availableSteps` (to say what is
 * blocked and why), so the two can never disagree: when a visit may be scheduled and started (its interval
 * window, the washout it waits for, its gates and its order) and when it is complete. Each returns the
 * rejection that applies, or null.
 */

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
