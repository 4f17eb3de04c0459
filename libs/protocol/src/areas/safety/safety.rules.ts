import { reject, type Rejection } from '../../rejection';
import { activeHolds, type CourseState } from '../../state';

/** SAFETY_HOLD while any hold is active: dosing is blocked until a physician clears it. */
export const holdRejection = (state: CourseState): Rejection | null =>
  activeHolds(state).length === 0
    ? null
    : reject('SAFETY_HOLD', 'A safety hold is in place; dosing is blocked until a physician clears it.', {
        holdRefs: activeHolds(state).map((h) => h.ref),
      });
