import type { RecordAssessment } from '../../command';
import { clinicalTimeOf } from '../../clinical-time';
import { accept, emit, invalid, refuse, type Decision } from '../../decision';
import type { ProtocolDefinition } from '../../definitions/protocol-definition';
import { reject } from '../../rejection';
import type { CourseState } from '../../state';
import { screeningOpen } from '../screening/screening.rules';
import { sessionState } from '../visits';
import { outcomeProblems, pointRejection } from './outcomes.rules';

/*
 * An assessment (a rating scale or questionnaire) recorded at baseline, during a visit, or at an assessment
 * point in its window. The rules it shares with the available steps are in outcomes.rules.ts.
 */

export const recordAssessment = (command: RecordAssessment, state: CourseState, def: ProtocolDefinition): Decision => {
  const { instrument, timepoint, values } = command.data;
  const definition = def.instruments.find((i) => i.id === instrument);
  if (!definition) return refuse(reject('STEP_UNKNOWN', 'This protocol does not use that instrument.', { instrument }));
  const problems = outcomeProblems(definition.fields, values);
  if (problems.length > 0) return invalid(`The ${definition.title} values are not valid.`, { problems });
  const at = clinicalTimeOf(command);
  if (timepoint === 'baseline') {
    const closed = screeningOpen(state);
    if (closed) return refuse(closed);
  } else if (sessionState(state, timepoint)) {
    const session = sessionState(state, timepoint)!;
    if (session.status !== 'in_progress') {
      return refuse(reject('STEP_OUT_OF_ORDER', 'Assessments at a visit are recorded while the visit is in progress.', { missing: 'StartSession' }));
    }
    if (session.assessments.includes(instrument)) {
      return refuse(reject('STEP_ALREADY_RECORDED', `The ${definition.title} is already recorded for this visit; correct it instead.`));
    }
  } else {
    const point = def.assessmentPoints.find((p) => p.key === timepoint);
    if (!point) return refuse(reject('STEP_UNKNOWN', 'This protocol has no such assessment time point.', { timepoint }));
    if (point.instrument !== instrument && !definition.optional) {
      return invalid(`This time point records the ${point.instrument}.`, { instrument: point.instrument });
    }
    // An optional instrument (a patient-reported PCL-5) accompanies a point, never stands in for it: any record
    // at a point counts as the point, so the point's own instrument must be on record first.
    const companion = point.instrument !== instrument;
    const atPoint = state.assessments.filter((a) => a.timepoint === timepoint);
    if (companion && !atPoint.some((a) => a.instrument === point.instrument)) {
      return refuse(reject('STEP_OUT_OF_ORDER', `Record the ${point.label} first; the ${definition.title} accompanies it.`, { missing: point.key }));
    }
    if (companion && atPoint.some((a) => a.instrument === instrument)) {
      return refuse(reject('STEP_ALREADY_RECORDED', `The ${definition.title} is already recorded at this time point; correct it instead.`));
    }
    // The point's order and window apply to a companion too, judged as if the point were not yet recorded.
    const judged = companion ? { ...state, assessments: state.assessments.filter((a) => a.timepoint !== timepoint) } : state;
    const refused = pointRejection(def, judged, point, at);
    if (refused) return refuse(refused);
  }
  return accept(emit(command, 'AssessmentRecorded', { instrument, timepoint, values }));
};
