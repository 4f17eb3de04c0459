import type { ProtocolDefinition } from '../../definitions/protocol-definition';
import type { CourseState, SessionState } from '../../state';
import { present, type Collector } from '../../step';
import { addHours, isBefore } from '../../time';
import { dosingVisitSteps } from '../dosing/dosing.steps';
import { completeRejection, scheduleRejection, startRejection, visitStartWindow } from './sessions.rules';
import { sessionDefinition } from '../visits';

/** The visit in progress: its assessments still due, the steps of a dosing visit, and its completion. */
const visitSteps = (def: ProtocolDefinition, state: CourseState, session: SessionState, now: string, out: Collector): void => {
  const key = session.key;
  const label = sessionDefinition(def, key)!.label;
  for (const instrument of sessionDefinition(def, key)!.requiredAssessments) {
    if (!session.assessments.includes(instrument)) {
      out.step({ command: 'RecordAssessment', label: `Record the ${instrument} at ${label}`, sessionKey: key, timepoint: key, instrument }, null);
    }
  }
  if (session.dosing) dosingVisitSteps(def, state, session, now, out);
  out.step({ command: 'CompleteSession', label: `Complete ${label}`, sessionKey: key }, completeRejection(def, session));
};

/** The next visit, when none is in progress: schedule, cancel or start it, and the due dates around it. */
const nextVisitSteps = (def: ProtocolDefinition, state: CourseState, now: string, out: Collector): void => {
  const next = state.sessions.find((s) => s.status !== 'completed');
  if (!next) return;
  const label = sessionDefinition(def, next.key)!.label;
  const window = visitStartWindow(def, state, next.key);
  const times = present({ earliest: window?.earliest, latest: window?.latest });
  if (next.status === 'pending') {
    // Scheduled for the first time the rules allow from now: refused exactly when no such time is left.
    const first = window && isBefore(now, window.earliest) ? window.earliest : now;
    out.step({ command: 'ScheduleSession', label: `Schedule ${label}`, sessionKey: next.key, ...times }, scheduleRejection(def, state, next.key, first));
  }
  if (next.status === 'scheduled') out.step({ command: 'CancelSession', label: `Cancel ${label}`, sessionKey: next.key }, null);
  const dueKey = out.dueAt(`Latest start of ${label}`, 'StartSession', window?.latest, { sessionKey: next.key });
  out.step({ command: 'StartSession', label: `Start ${label}`, sessionKey: next.key, ...times, ...present({ dueKey }) }, startRejection(def, state, next.key, now));
  if (next.status === 'scheduled') out.dueAt(`Scheduled start of ${label}`, 'StartSession', next.scheduledFor, { sessionKey: next.key });
  const firstDosing = def.sessions.find((s) => s.kind === 'dosing');
  const dosingStarted = state.sessions.some((s) => s.dosing && (s.startedAt !== null || s.status === 'completed' || s.attempt > 1));
  if (firstDosing && !dosingStarted && state.eligibleSince && def.screening.eligibilityValidDays) {
    out.dueAt(`Eligibility lapses unless ${sessionDefinition(def, firstDosing.key)!.label} starts`, 'StartSession', addHours(state.eligibleSince, def.screening.eligibilityValidDays * 24), {
      sessionKey: firstDosing.key,
      remind: true,
      expiresEligibility: true,
    });
  }
};

/** After screening: the steps of the visit in progress or, when none is, of the next visit. */
export const sessionSteps = (def: ProtocolDefinition, state: CourseState, now: string, out: Collector): void => {
  const current = state.sessions.find((s) => s.status === 'in_progress');
  if (current) visitSteps(def, state, current, now, out);
  else nextVisitSteps(def, state, now, out);
};
