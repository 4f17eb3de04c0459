import { availableSteps, type DueDate } from './available-steps';
import type { DueNotice } from './command';
import type { ProtocolDefinition } from './definitions/protocol-definition';
import { findProtocol } from './definitions/registry';
import { addHours, isBefore } from './rules/time';
import { isCourseClosed, type CourseState } from './state';

/** A notice the course workflow still owes about a due date, and the moment it is owed. */
export type PendingNotice = { notice: DueNotice; due: DueDate; fireAt: string };

// Scheduled vital-sign readings are watched by the dosing-session child workflow, which raises an alert
// when one is missed; a second, generic notice about the same reading would only be noise.
const WATCHED_BY_CHILD = new Set(['RecordVitals']);

const noticesFor = (def: ProtocolDefinition, state: CourseState, due: DueDate, now: string): PendingNotice[] => {
  const fired = state.notices[due.key] ?? [];
  const pending: PendingNotice[] = [];
  const { reminderLeadHours, escalateAfterHours } = def.notifications;
  // A reminder is only worth sending while the due date is still ahead.
  if (due.remind && reminderLeadHours > 0 && !fired.includes('reminder') && !fired.includes('overdue') && isBefore(now, due.dueAt)) {
    pending.push({ notice: 'reminder', due, fireAt: addHours(due.dueAt, -reminderLeadHours) });
  }
  if (!fired.includes('overdue')) pending.push({ notice: 'overdue', due, fireAt: due.dueAt });
  else if (!fired.includes('escalation') && !due.expiresEligibility) {
    pending.push({ notice: 'escalation', due, fireAt: addHours(due.dueAt, escalateAfterHours) });
  }
  return pending;
};

/**
 * Every notice the course still owes at `now`, earliest first: reminders ahead of due dates, the
 * passing of a due date, and an escalation when the step stays open. The course workflow sets a
 * durable timer for the first one and records it (RecordDueDateNotice) when it fires. Pure.
 */
export const pendingNotices = (state: CourseState, now: string): PendingNotice[] => {
  const def = state.protocol && findProtocol(state.protocol.id, state.protocol.version);
  if (!def || isCourseClosed(state) || state.status === 'not_started') return [];
  return availableSteps(state, now)
    .due.filter((d) => !WATCHED_BY_CHILD.has(d.command))
    .flatMap((d) => noticesFor(def, state, d, now))
    .sort((a, b) => Date.parse(a.fireAt) - Date.parse(b.fireAt));
};
