import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { CourseCommand, CourseState, Rejection } from '@care/protocol';

/** Default task queue of the course-of-care workers. */
export const COURSE_TASK_QUEUE = 'course-of-care';

/** Workflow type name; the worker registers a function with exactly this name. */
export const COURSE_WORKFLOW_TYPE = 'courseOfCare';

/**
 * The workflow id of a course. Derived from the course id alone (never from patient data, since
 * workflow ids are stored and shown in clear text by Temporal).
 */
export const courseWorkflowId = (courseId: string): string => `course-${courseId}`;

/** The event-store stream a course writes to. */
export const courseStreamId = (courseId: string): string => `course-${courseId}`;

export type CourseWorkflowInput = {
  courseId: string;
  /** Carried across continue-as-new; absent on the first run. */
  state?: CourseState;
  /**
   * Continue as new once a run's history reaches this many events, besides whenever Temporal suggests
   * it. Absent: only when Temporal suggests it. Carried across continue-as-new.
   */
  continueAsNewAfterEvents?: number;
  /** The previous run's most recent command ids and what they recorded, so a retry is answered, not re-executed. */
  recentCommands?: [string, RecordedCommand][];
};

/** The stream versions a command's events occupy. */
export type RecordedCommand = { fromVersion: number; toVersion: number };

/** An event as the workflow reports it after it is stored. */
export type RecordedEvent = {
  eventId: string;
  streamVersion: number;
  globalPosition: string;
  type: string;
  schemaVersion: number;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  recordedAt: string;
};

/**
 * What a command recorded. `alreadyRecorded`: the command id was executed before (a retry); its events
 * are these stream versions in the record, and `events` is empty.
 */
export type CommandResult = { state: CourseState; events: RecordedEvent[]; alreadyRecorded?: RecordedCommand };

/** Every staff or system command on a course. The validator runs `decide`; rejected commands never enter history. */
export const submitCommandUpdate = defineUpdate<CommandResult, [CourseCommand]>('submitCommand');

/** The course's current state, folded from its events. */
export const courseStateQuery = defineQuery<CourseState>('courseState');

/** The ApplicationFailure type a validator throws for a refused command; `details[0]` is the {@link Rejection}. */
export const COMMAND_REJECTED_FAILURE = 'CourseCommandRejected';
export type CommandRejectedDetails = Rejection;

/** The ApplicationFailure type of an append refused because an earlier append of the course failed for good. */
export const COURSE_RECORD_FAILURE = 'CourseRecordFailed';
