import { availableSteps } from './available-steps';
import type { DueNotice, RecordDueDateNotice } from './command';
import { accept, emit, refuse, type Decision } from './decision';
import type { ProtocolDefinition } from './definitions/protocol-definition';
import { findProtocol } from './definitions/registry';
import { reject } from './rejection';
import { isCourseClosed, type CourseState } from './state';
import type { DueDate } from './step';
import { addHours, isBefore } from './time';

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

/** A notice from the workflow's timers: only about a due date the course has, only once, never early. */
export const recordDueDateNotice = (command: RecordDueDateNotice, state: CourseState): Decision => {
  const { notice, dueKey, dueAt } = command.data;
  const now = command.metadata.now;
  const owed = pendingNotices(state, now).find((n) => n.notice === notice && n.due.key === dueKey && n.due.dueAt === dueAt);
  if (!owed) {
    const known = availableSteps(state, now).due.some((d) => d.key === dueKey);
    return refuse(
      known
        ? reject('STEP_ALREADY_RECORDED', 'This notice about the due date was already recorded.')
        : reject('STEP_UNKNOWN', 'The course has no such due date.'),
    );
  }
  if (isBefore(now, owed.fireAt)) {
    return refuse(reject('STEP_OUT_OF_ORDER', 'This notice is not due yet.', { fireAt: owed.fireAt }));
  }
  const data = { dueKey, label: owed.due.label, command: owed.due.command, sessionKey: owed.due.sessionKey ?? null, dueAt };
  if (notice === 'reminder') return accept(emit(command, 'DueDateReminderIssued', data));
  if (notice === 'escalation') return accept(emit(command, 'DueDateEscalated', data));
  const passed = emit(command, 'DueDatePassed', data);
  if (owed.due.expiresEligibility && state.eligibleSince) {
    return accept(passed, emit(command, 'EligibilityExpired', { determinedAt: state.eligibleSince, expiredAt: dueAt }));
  }
  return accept(passed);
};
