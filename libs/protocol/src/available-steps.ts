import type { CourseCommandType } from './command';
import { completionSteps } from './areas/closing/closing.steps';
import { monitoringFormSteps } from './areas/dosing/dosing.steps';
import { assessmentPointSteps } from './areas/outcomes/outcomes.steps';
import { safetySteps } from './areas/safety/safety.steps';
import { screeningSteps, startCourseSteps } from './areas/screening/screening.steps';
import { sessionSteps } from './areas/sessions/sessions.steps';
import { findProtocol } from './definitions/registry';
import { isCourseClosed, type CourseState } from './state';
import { collector, type AvailableSteps } from './step';

/**
 * What can be done on a course at time `now`: the steps available, the ones blocked (with the rejection
 * code the decider would give), each with the roles that may take it, the signature meaning it needs and
 * its window, and the due dates, for the API, worklists and workflow timers. Each area lists its own steps
 * (areas/<area>/<area>.steps.ts) by the rules its decide functions apply. Pure.
 */
export const availableSteps = (state: CourseState, now: string): AvailableSteps => {
  const def = (state.protocol && findProtocol(state.protocol.id, state.protocol.version)) || undefined;
  const out = collector(def, now);
  if (state.status === 'not_started') {
    startCourseSteps(out);
    return out.result;
  }
  if (!def || isCourseClosed(state)) return out.result;

  if (state.screening.eligibility === null) {
    screeningSteps(def, state, out);
  } else {
    sessionSteps(def, state, now, out);
    assessmentPointSteps(def, state, now, out);
    monitoringFormSteps(def, state, out);
    completionSteps(def, state, now, out);
  }
  safetySteps(state, out);
  return out.result;
};

/** A line of a staff worklist: a step or due date of a course, from when it can be done and by when. */
export type WorkItem = {
  /** Identity of the line within its course. */
  key: string;
  label: string;
  command: CourseCommandType;
  sessionKey: string | null;
  /** From when the step can be done (its window opens, the monitoring time has passed); null if at once. */
  earliestAt: string | null;
  /** Its deadline or, for a step that has none (the discharge), the time from which it is due. */
  dueAt: string;
  /** The step has no deadline: it is due from `dueAt` on and never overdue. */
  openEnded: boolean;
};

/**
 * The worklist lines of a course at `now`, by the same computation as `availableSteps`: every due date
 * (with the earliest time of the step it is the deadline of); every other step with a window, available
 * or blocked until its window opens (a supplemental dose in its first 90 minutes), unless the window has
 * closed; and a step of the visit in progress that waits for a time but has no deadline (the discharge
 * after the minimum monitoring time), due from that time. Pure.
 */
export const worklistItems = (state: CourseState, now: string): WorkItem[] => {
  const steps = availableSteps(state, now);
  const timed = [...steps.available, ...steps.blocked.filter((s) => s.reason !== 'WINDOW_CLOSED')].filter((s) => s.earliest || s.latest);
  const deadlineOf = new Map(timed.filter((s) => s.dueKey).map((s) => [s.dueKey!, s]));
  const inProgress = new Set(state.sessions.filter((s) => s.status === 'in_progress').map((s) => s.key));
  const items = new Map<string, WorkItem>();
  for (const d of steps.due) {
    const key = `due|${d.command}|${d.sessionKey ?? ''}|${d.label}`;
    const earliestAt = deadlineOf.get(d.key)?.earliest ?? null;
    items.set(key, { key, label: d.label, command: d.command, sessionKey: d.sessionKey ?? null, earliestAt, dueAt: d.dueAt, openEnded: false });
  }
  for (const s of timed) {
    if (s.dueKey !== undefined) continue; // listed with its due date above
    const dueAt = s.latest ?? (s.sessionKey !== undefined && inProgress.has(s.sessionKey) ? s.earliest : undefined);
    if (!dueAt) continue;
    const key = `step|${s.command}|${s.sessionKey ?? ''}|${s.timepoint ?? ''}|${s.ref ?? ''}`;
    items.set(key, { key, label: s.label, command: s.command, sessionKey: s.sessionKey ?? null, earliestAt: s.earliest ?? null, dueAt, openEnded: !s.latest });
  }
  return [...items.values()];
};
