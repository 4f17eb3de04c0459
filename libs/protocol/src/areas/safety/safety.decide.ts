import type { ClassifyAdverseEvent, ClearSafetyHold, PlaceSafetyHold, RaiseAlert, ReportAdverseEvent } from '../../command';
import { accept, emit, invalid, isRejection, refuse, type Decision } from '../../decision';
import type { ProtocolDefinition } from '../../definitions/protocol-definition';
import { reject } from '../../rejection';
import type { CourseState } from '../../state';
import { unsigned } from '../../unsigned';
import { visit } from '../visits';

/*
 * Safety: alerts raised by staff, adverse events reported and later classified, and safety holds placed and
 * cleared. Every event is recorded; a (suspected) serious one holds dosing until a physician clears it. The
 * hold rule dosing and the visits share is in safety.rules.ts.
 */

export const raiseAlert = (command: RaiseAlert, state: CourseState, def: ProtocolDefinition): Decision => {
  const key = command.data.sessionKey;
  if (key !== undefined) {
    const session = visit(def, state, key);
    if (isRejection(session)) return refuse(session);
  }
  return accept(emit(command, 'AlertRaised', { sessionKey: key ?? null, source: 'staff', reason: command.data.reason, vitalsRef: null }));
};

export const reportAdverseEvent = (command: ReportAdverseEvent, state: CourseState, def: ProtocolDefinition): Decision => {
  const { description, onsetAt, sessionKey, seriousSuspected } = command.data;
  if (sessionKey !== undefined) {
    const session = visit(def, state, sessionKey);
    if (isRejection(session)) return refuse(session);
  }
  const reported = emit(command, 'AdverseEventReported', {
    description,
    onsetAt,
    sessionKey: sessionKey ?? null,
    seriousSuspected: seriousSuspected ?? false,
  });
  if (!seriousSuspected) return accept(reported);
  // A suspected serious event holds dosing at once; classification can follow.
  return accept(reported, emit(command, 'SafetyHoldPlaced', holdForAdverseEvent(state.version + 1)));
};

const holdForAdverseEvent = (ref: number) =>
  ({ reason: 'Serious adverse event reported', source: 'serious_adverse_event', adverseEventRef: ref }) as const;

export const classifyAdverseEvent = (command: ClassifyAdverseEvent, state: CourseState, def: ProtocolDefinition): Decision => {
  const { adverseEventRef, serious, aesiCategory, causality, severity } = command.data;
  const ae = state.adverseEvents.find((a) => a.ref === adverseEventRef);
  if (!ae) return refuse(reject('STEP_UNKNOWN', 'No adverse event was reported at that position in the record.', { adverseEventRef }));
  if (aesiCategory !== undefined && !def.aesiCategories.includes(aesiCategory)) {
    return invalid('This is not an adverse event of special interest under this protocol.', { allowed: [...def.aesiCategories] });
  }
  const classified = emit(command, 'AdverseEventClassified', {
    adverseEventRef,
    serious,
    aesiCategory: aesiCategory ?? null,
    causality,
    severity,
  });
  const alreadyHeld = state.holds.some((h) => h.adverseEventRef === adverseEventRef);
  if (!serious || alreadyHeld) return accept(classified);
  return accept(classified, emit({ ...command, data: unsigned(command.data) }, 'SafetyHoldPlaced', holdForAdverseEvent(adverseEventRef)));
};

export const placeSafetyHold = (command: PlaceSafetyHold): Decision =>
  accept(emit(command, 'SafetyHoldPlaced', { reason: command.data.reason, source: 'staff', adverseEventRef: null }));

export const clearSafetyHold = (command: ClearSafetyHold, state: CourseState): Decision => {
  const hold = state.holds.find((h) => h.ref === command.data.holdRef);
  if (!hold) return refuse(reject('STEP_UNKNOWN', 'No safety hold was placed at that position in the record.', { holdRef: command.data.holdRef }));
  if (hold.clearedAt !== null) return refuse(reject('STEP_ALREADY_RECORDED', 'This safety hold is already cleared.'));
  return accept(emit(command, 'SafetyHoldCleared', { holdRef: hold.ref, reason: command.data.reason }));
};
