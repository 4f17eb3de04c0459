import { defineSignal } from '@temporalio/workflow';

/** Workflow type name of the dosing-session child workflow. */
export const DOSING_SESSION_WORKFLOW_TYPE = 'dosingSession';

/** One child per attempt at a dosing visit; the id says which course, visit and attempt, nothing personal. */
export const dosingSessionWorkflowId = (courseId: string, sessionKey: string, attempt: number): string =>
  `course-${courseId}-dosing-${sessionKey}-${attempt}`;

export type DosingSessionInput = {
  courseId: string;
  sessionKey: string;
  attempt: number;
  /** When the initial dose was given (its clinical time, UTC ISO-8601). */
  doseAt: string;
  /** When the dose was entered, if the run passes it (absent in sessions started before clinical times). */
  enteredAt?: string;
  /** Readings the protocol expects after the dose, from the pinned protocol definition. */
  schedule: { label: string; targetMinutes: number; earliestMinutes: number }[];
  /** How long after its target a scheduled reading may arrive before it counts as missed. */
  graceMinutes: number;
  minimumMonitoringMinutes: number;
};

export type DosingSessionOutcome = {
  sessionKey: string;
  attempt: number;
  readingsRecorded: number;
  missedReadings: string[];
  endedBy: 'discharge' | 'cancelled';
  endedAt: string;
};

/** Parent -> child: a vital-sign reading of this session was recorded. */
export const vitalsRecordedSignal = defineSignal<[{ measuredAt: string }]>('vitalsRecorded');
/** Parent -> child: the patient was discharged (the protocol checked the criteria). */
export const dischargedSignal = defineSignal<[{ at: string }]>('discharged');
/** Child -> parent: a scheduled reading was not recorded in time; the parent records an alert. */
export const missedVitalsSignal = defineSignal<[{ sessionKey: string; attempt: number; label: string; dueAt: string }]>('missedVitals');
