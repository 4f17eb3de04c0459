import type { CompleteCourse, CorrectEvent, WithdrawCourse } from '../../command';
import { accept, emit, invalid, refuse, type Decision } from '../../decision';
import type { ProtocolDefinition } from '../../definitions/protocol-definition';
import { reject } from '../../rejection';
import type { CourseState } from '../../state';
import { VITAL_FIELDS } from '../dosing/dosing.schemas';
import { missedPoints, outcomeProblems } from '../outcomes/outcomes.rules';
import { completeCourseRejection } from './closing.rules';

/*
 * Closing a course (withdrawal, completion) and correcting an earlier record. The completion rule shared
 * with the available steps is in closing.rules.ts; the notices the course workflow records about due dates
 * are decided in due-notices.ts, beside the rule of which notices are owed.
 */

export const withdrawCourse = (command: WithdrawCourse): Decision =>
  accept(emit(command, 'CourseWithdrawn', { reason: command.data.reason, note: command.data.note ?? null }));

/** Event types whose values a correction can amend; other records are amended by recording a new one. */
const CORRECTABLE = ['AssessmentRecorded', 'VitalsRecorded'];

export const correctEvent = (command: CorrectEvent, state: CourseState, def: ProtocolDefinition): Decision => {
  const { eventVersion, reason, values } = command.data;
  const type = state.eventTypes[eventVersion - 1];
  if (eventVersion < 1 || type === undefined) {
    return refuse(reject('STEP_UNKNOWN', 'There is no record at that position in this course.', { eventVersion }));
  }
  if (!CORRECTABLE.includes(type)) {
    return invalid('Only assessment values and vital-sign readings can be corrected; record a new entry instead.', { correctable: CORRECTABLE });
  }
  if (Object.keys(values).length === 0) return invalid('Give at least one corrected value.');
  // Correcting a signed record voids its signature, so the correction must itself be signed.
  const voided = state.signatures[String(eventVersion)];
  if (voided && !command.data.signature) {
    return refuse(
      reject('SIGNATURE_REQUIRED', `This record was signed; its correction must be signed electronically with the meaning "${voided.meaning}".`, {
        meaning: voided.meaning,
      }),
    );
  }
  const fields =
    type === 'AssessmentRecorded'
      ? def.instruments.find((i) => i.id === state.assessments.find((a) => a.version === eventVersion)?.instrument)?.fields ?? []
      : VITAL_FIELDS;
  const problems = outcomeProblems(fields, values, { partial: true });
  if (problems.length > 0) return invalid('The corrected values are not valid.', { problems });
  return accept(emit(command, 'EventCorrected', { eventVersion, correctedType: type, reason, values, ...(voided ? { voidedSignature: voided } : {}) }));
};

export const completeCourse = (command: CompleteCourse, state: CourseState, def: ProtocolDefinition): Decision => {
  const now = command.metadata.now;
  const refused = completeCourseRejection(def, state, now);
  if (refused) return refuse(refused);
  return accept(emit(command, 'CourseCompleted', { missedAssessments: missedPoints(def, state, now).map((p) => p.key) }));
};
