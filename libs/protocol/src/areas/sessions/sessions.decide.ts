import type { CancelSession, CompleteSession, MarkSessionMissed, ScheduleSession, StartSession } from '../../command';
import { clinicalTimeOf } from '../../clinical-time';
import { accept, emit, isRejection, refuse, type Decision } from '../../decision';
import type { ProtocolDefinition } from '../../definitions/protocol-definition';
import { reject } from '../../rejection';
import type { CourseState } from '../../state';
import { completeRejection, scheduleRejection, startRejection } from './sessions.rules';
import { visit } from '../visits';

/*
 * The visits: scheduled, started and completed, or missed or cancelled and so back in the queue. The rules
 * they share with the available steps are in sessions.rules.ts.
 */

export const scheduleSession = (command: ScheduleSession, state: CourseState, def: ProtocolDefinition): Decision => {
  const refused = scheduleRejection(def, state, command.data.sessionKey, command.data.scheduledFor);
  if (refused) return refuse(refused);
  return accept(emit(command, 'SessionScheduled', { sessionKey: command.data.sessionKey, scheduledFor: command.data.scheduledFor }));
};

export const startSession = (command: StartSession, state: CourseState, def: ProtocolDefinition): Decision => {
  const refused = startRejection(def, state, command.data.sessionKey, clinicalTimeOf(command));
  if (refused) return refuse(refused);
  return accept(emit(command, 'SessionStarted', { sessionKey: command.data.sessionKey }));
};

export const completeSession = (command: CompleteSession, state: CourseState, def: ProtocolDefinition): Decision => {
  const session = visit(def, state, command.data.sessionKey);
  if (isRejection(session)) return refuse(session);
  const refused = completeRejection(def, session);
  if (refused) return refuse(refused);
  return accept(emit(command, 'SessionCompleted', { sessionKey: session.key }));
};

export const markSessionMissed = (command: MarkSessionMissed, state: CourseState, def: ProtocolDefinition): Decision => {
  const session = visit(def, state, command.data.sessionKey);
  if (isRejection(session)) return refuse(session);
  if (session.status !== 'scheduled') {
    return refuse(reject('STEP_OUT_OF_ORDER', 'Only a scheduled visit that has not started can be marked as missed.'));
  }
  return accept(emit(command, 'SessionMissed', { sessionKey: session.key, reason: command.data.reason }));
};

export const cancelSession = (command: CancelSession, state: CourseState, def: ProtocolDefinition): Decision => {
  const session = visit(def, state, command.data.sessionKey);
  if (isRejection(session)) return refuse(session);
  if (session.status === 'pending' || session.status === 'completed') {
    return refuse(reject('STEP_OUT_OF_ORDER', 'Only a scheduled visit, or one started but not yet dosed, can be cancelled.'));
  }
  if (session.dosing?.initialDose) {
    return refuse(reject('STEP_OUT_OF_ORDER', 'A dose was given in this visit; it must be completed with monitoring and discharge.'));
  }
  return accept(emit(command, 'SessionCancelled', { sessionKey: session.key, reason: command.data.reason }));
};
