import type { ProtocolDefinition } from '../../definitions/protocol-definition';
import { reject, type Rejection } from '../../rejection';
import { activeHolds, type CourseState } from '../../state';
import { monitoringFormDue } from '../dosing/dosing.rules';
import { missedPoints, pointRecorded } from '../outcomes/outcomes.rules';

/**
 * The completion rule, shared by `decide` (CompleteCourse) and `availableSteps` (the completion step):
 * every visit completed, every assessment point recorded or missed, every monitoring form submitted, every
 * adverse event classified and no safety hold in place.
 */

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
