import type { ProtocolDefinition } from '../../definitions/protocol-definition';
import type { CourseState } from '../../state';
import type { Collector } from '../../step';
import { completeCourseRejection } from './closing.rules';

/** Once every visit is completed: the completion of the course, blocked while anything is still owed. */
export const completionSteps = (def: ProtocolDefinition, state: CourseState, now: string, out: Collector): void => {
  if (state.sessions.every((s) => s.status === 'completed')) {
    out.step({ command: 'CompleteCourse', label: 'Complete the course' }, completeCourseRejection(def, state, now));
  }
};
