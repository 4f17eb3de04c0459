import type { ProtocolDefinition, SessionDefinition } from '../definitions/protocol-definition';
import { reject, type Rejection } from '../rejection';
import type { CourseState, SessionState } from '../state';

/** A visit of the protocol, by its key. */
export const sessionDefinition = (def: ProtocolDefinition, key: string): SessionDefinition | undefined =>
  def.sessions.find((s) => s.key === key);

/** A visit of the course, by its key. */
export const sessionState = (state: CourseState, key: string): SessionState | undefined =>
  state.sessions.find((s) => s.key === key);

/** The visit named by a command, or why it cannot be used (`dosing`: the step belongs to a dosing visit). */
export const visit = (def: ProtocolDefinition, state: CourseState, key: string, dosing = false): SessionState | Rejection => {
  const session = sessionState(state, key);
  const definition = sessionDefinition(def, key);
  if (!session || !definition) return reject('STEP_UNKNOWN', 'This protocol has no such visit.', { sessionKey: key });
  if (dosing && definition.kind !== 'dosing') {
    return reject('STEP_OUT_OF_ORDER', 'This step belongs to a dosing visit.', { sessionKey: key });
  }
  return session;
};
