import type { CourseCommand } from '@care/protocol';
import {
  at,
  cmd,
  determineEligible,
  esketamineCompleteCourse,
  mdmaDosingEnd,
  mdmaDosingStart,
  mdmaPrepared,
  mdmaScreening,
  signed,
} from '../../libs/protocol/src/testing/course.fixtures';

/**
 * Representative courses whose Temporal histories are kept beside the workflow and replayed on every
 * test run (see course-of-care.replay.unit.spec.ts). The hold is cleared by reference to the
 * SafetyHoldPlaced event's stream version, which the script computes from the course so far.
 */
export type Scenario = {
  name: string;
  script: CourseCommand[];
  continueAsNewAfterEvents?: number;
  /** Runs on the dev server in real time (no time skipping); the script must need no waiting. */
  realTime?: boolean;
};

const holdScript = (): CourseCommand[] => {
  const prepared = mdmaPrepared();
  return [
    ...prepared,
    cmd('ReportAdverseEvent', { description: 'Chest pain', onsetAt: at(22), seriousSuspected: true }, 'therapist', at(22, '10:00')),
  ];
};

export const SCENARIOS: Scenario[] = [
  {
    name: 'full-course-esketamine',
    script: esketamineCompleteCourse(),
  },
  {
    name: 'withdrawal-during-dosing',
    script: [
      ...mdmaPrepared(),
      ...mdmaDosingStart('dosing-1', 28, 80),
      cmd('WithdrawCourse', { reason: 'participant_decision', ...signed('responsibility') }, 'physician', at(28, '09:00')),
    ],
  },
  {
    name: 'sae-hold-and-clearance',
    // The hold reference is filled in by the runner once the course reports the SafetyHoldPlaced version.
    script: [
      ...holdScript(),
      cmd('ClearSafetyHold', { holdRef: -1, reason: 'Cardiology review normal', ...signed('approval') }, 'physician', at(25)),
      ...mdmaDosingStart('dosing-1', 28, 80),
      ...mdmaDosingEnd('dosing-1', 28, 80).slice(0, 2),
      // Entered from the paper sheet 90 minutes after it was measured: a late entry with its reason.
      cmd(
        'RecordVitals',
        { sessionKey: 'dosing-1', timing: 'post_dose', systolic: 124, diastolic: 82, heartRate: 76, measuredAt: at(28, '11:00'), lateEntryReason: 'Transcribed from the paper vitals sheet' },
        'therapist',
        at(28, '12:30'),
      ),
      ...mdmaDosingEnd('dosing-1', 28, 80).slice(2),
    ],
  },
  {
    // Screening needs no waiting, so it runs on the real dev server, whose handling of Updates that
    // arrive while a run continues as new is the production behaviour (the test server loses them).
    name: 'continue-as-new',
    script: [...mdmaScreening(), determineEligible()],
    continueAsNewAfterEvents: 40,
    realTime: true,
  },
];
