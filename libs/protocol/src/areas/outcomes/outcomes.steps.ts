import type { ProtocolDefinition } from '../../definitions/protocol-definition';
import type { CourseState } from '../../state';
import { present, type Collector } from '../../step';
import { pointRecorded, pointRejection, pointWindow } from './outcomes.rules';

/** Each assessment point not yet recorded whose visit is completed, with its window and due date. */
export const assessmentPointSteps = (def: ProtocolDefinition, state: CourseState, now: string, out: Collector): void => {
  for (const point of def.assessmentPoints) {
    if (pointRecorded(state, point) || state.sessions.find((s) => s.key === point.after)?.status !== 'completed') continue;
    const window = pointWindow(def, state, point);
    const dueKey = out.dueAt(point.label, 'RecordAssessment', window?.latest);
    out.step(
      {
        command: 'RecordAssessment',
        label: `Record the ${point.label}`,
        timepoint: point.key,
        instrument: point.instrument,
        ...present({ earliest: window?.earliest, latest: window?.latest, dueKey }),
      },
      pointRejection(def, state, point, now),
    );
  }
};
