import { activeHolds, type CourseState } from '../../state';
import type { Collector } from '../../step';

/** At any time in an open course: each adverse event still to classify and each safety hold to clear. */
export const safetySteps = (state: CourseState, out: Collector): void => {
  for (const ae of state.adverseEvents.filter((a) => a.classification === null)) {
    out.step({ command: 'ClassifyAdverseEvent', label: 'Classify the reported adverse event', ref: ae.ref }, null);
  }
  for (const hold of activeHolds(state)) {
    out.step({ command: 'ClearSafetyHold', label: 'Review and clear the safety hold (physician)', ref: hold.ref }, null);
  }
};
