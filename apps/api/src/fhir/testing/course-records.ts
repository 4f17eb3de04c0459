import { signatureLink } from '@care/crypto';
import { decide, evolve, initialState, withClinicalTime, type CourseCommand, type CourseEvent, type CourseState } from '@care/protocol';
import {
  at,
  caps5,
  cmd,
  determineEligible,
  esketamineCompleteCourse,
  mdmaCompleteCourse,
  mdmaDosing,
  mdmaDosingStart,
  mdmaPrepared,
  mdmaScreening,
  pcl5,
  signed,
  simpleVisit,
  vitals,
} from '../../../../../libs/protocol/src/testing/course.fixtures';
import type { RecordedEvent } from '../course-bundle';

/*
 * Course records for the FHIR export's tests, made by the protocol's own decider from the shared course
 * scripts, as the event store would return them. Signed steps get their record hash the way the API
 * gives it (the data with its clinical time named, RFC 8785, SHA-256). Test support only.
 */

/** A command as the API sends it on: a signed step names its clinical time and carries the hash of the record signed. */
const asSent = (command: CourseCommand): CourseCommand => {
  const data = { ...(command.data as Record<string, unknown>) } as Record<string, unknown> & { signature?: { meaning: string } };
  if (!data.signature) return command;
  const timed = withClinicalTime(command.type, data, command.metadata.now);
  return { ...command, data: { ...timed, signature: { meaning: data.signature.meaning, ...signatureLink(timed) } } } as CourseCommand;
};

/** Plays `commands` through the decider (a StartCourse first), the course pinned to protocol `version` if given; throws on a refusal. */
export const recordOf = (commands: CourseCommand[], options: { version?: number; courseId?: string } = {}): RecordedEvent[] => {
  let state: CourseState = initialState();
  const events: RecordedEvent[] = [];
  for (const original of commands) {
    const command = asSent(original);
    const withId = command.type === 'StartCourse' ? ({ ...command, data: { ...command.data, courseId: options.courseId ?? 'c-fhir-1' } } as CourseCommand) : command;
    const decision = decide({ ...withId, metadata: { ...withId.metadata, commandId: `cmd-${events.length + 1}` } } as CourseCommand, state);
    if (!decision.ok) throw new Error(`${command.type} refused: ${decision.rejection.code} ${decision.rejection.message}`);
    for (const produced of decision.events) {
      const event: CourseEvent =
        produced.type === 'CourseStarted' && options.version ? { ...produced, data: { ...produced.data, protocolVersion: options.version } } : produced;
      state = evolve(state, event);
      events.push({
        type: event.type,
        schemaVersion: event.schemaVersion,
        data: event.data as unknown as Record<string, unknown>,
        metadata: event.metadata as unknown as Record<string, unknown>,
        streamVersion: state.version,
        // The store's clock: a second after the entry time.
        recordedAt: new Date(Date.parse(event.metadata.occurredAt) + 1000).toISOString(),
      });
    }
  }
  return events;
};

const cycle = (k: number, day: number, doseMg: number): CourseCommand[] => [
  ...mdmaDosing(`dosing-${k}`, day, doseMg),
  ...simpleVisit(`integration-${k}.1`, day + 1),
  ...simpleVisit(`integration-${k}.2`, day + 8),
  ...simpleVisit(`integration-${k}.3`, day + 15),
];

/** A complete course of mdma-at-ptsd v1 or v2 (the same clinical protocol: no BDI-II, PCL-5 or long-term follow-up). */
export const mdmaV1V2CompleteCourse = (): CourseCommand[] => [
  ...mdmaPrepared(),
  ...cycle(1, 28, 80),
  ...cycle(2, 56, 120),
  caps5('caps5-after-dosing-2', 30, at(60)),
  ...cycle(3, 84, 120),
  caps5('caps5-after-dosing-3', 22, at(88)),
  caps5('caps5-endpoint', 18, at(126)),
  cmd('CompleteCourse', signed('responsibility'), 'physician', at(126, '12:00')),
];

/** The complete mdma-at-ptsd v3 course with a baseline PCL-5 from an e-PRO integration (the one instrument with LOINC codes). */
export const mdmaV3CompleteCourse = (): CourseCommand[] => {
  const script = mdmaCompleteCourse();
  const determination = script.findIndex((c) => c.type === 'DetermineEligibility');
  return [...script.slice(0, determination), pcl5('baseline', 35, at(0, '11:40')), ...script.slice(determination)];
};

/** Each shipped protocol definition with a complete course of it. */
export const completeCourses = (): { name: string; events: RecordedEvent[] }[] => [
  { name: 'mdma-at-ptsd-v1', events: recordOf(mdmaV1V2CompleteCourse(), { version: 1, courseId: 'c-fhir-v1' }) },
  { name: 'mdma-at-ptsd-v2', events: recordOf(mdmaV1V2CompleteCourse(), { version: 2, courseId: 'c-fhir-v2' }) },
  { name: 'mdma-at-ptsd-v3', events: recordOf(mdmaV3CompleteCourse(), { courseId: 'c-fhir-v3' }) },
  { name: 'esketamine-monitored-v1', events: recordOf(esketamineCompleteCourse(), { courseId: 'c-fhir-esk' }) },
];

/**
 * The safety path of an MDMA-AT course: a suspected serious adverse event during dosing-1 (which places a
 * hold), its signed classification, a signed correction of a vital-sign reading, a missed visit before
 * that, and the course withdrawn. `holdCleared` clears the hold (signed) before the withdrawal.
 */
export const safetyCourse = (options: { holdCleared?: boolean } = {}): RecordedEvent[] => {
  const before = [
    ...mdmaScreening(),
    determineEligible(),
    // prep-1 is booked, missed, and then held on another day.
    cmd('ScheduleSession', { sessionKey: 'prep-1', scheduledFor: at(6) }, 'coordinator', at(1)),
    cmd('MarkSessionMissed', { sessionKey: 'prep-1', reason: 'Did not attend' }, 'coordinator', at(6, '12:00')),
    ...simpleVisit('prep-1', 7),
    ...simpleVisit('prep-2', 14),
    ...simpleVisit('prep-3', 21),
    ...mdmaDosingStart('dosing-1', 28, 80),
    vitals('dosing-1', 'post_dose', at(28, '09:30'), [150, 95], 98),
  ];
  const upToVitals = recordOf(before);
  const vitalsVersion = upToVitals.length;
  const report = cmd('ReportAdverseEvent', { description: 'Chest pain', onsetAt: at(28, '09:40'), sessionKey: 'dosing-1', seriousSuspected: true }, 'therapist', at(28, '09:45'));
  const reported = recordOf([...before, report]);
  const aeRef = reported.find((e) => e.type === 'AdverseEventReported')!.streamVersion;
  const holdRef = reported.find((e) => e.type === 'SafetyHoldPlaced')!.streamVersion;
  return recordOf([
    ...before,
    report,
    cmd('ClassifyAdverseEvent', { adverseEventRef: aeRef, serious: true, aesiCategory: 'cardiac', causality: 'possible', severity: 'moderate', ...signed('review') }, 'physician', at(28, '10:30')),
    cmd('CorrectEvent', { eventVersion: vitalsVersion, reason: 'Transcription error', values: { heartRate: 89 }, ...signed('authorship') }, 'therapist', at(28, '11:00')),
    ...(options.holdCleared ? [cmd('ClearSafetyHold', { holdRef, reason: 'Cardiology review normal', ...signed('approval') }, 'physician', at(29))] : []),
    cmd('WithdrawCourse', { reason: 'participant_decision', ...signed('responsibility') }, 'physician', at(30)),
  ]);
};
