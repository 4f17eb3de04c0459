import { commandData, dateTime, oneOf, outcomeValues, signature, streamVersion, text, timed } from '../fields';

/*
 * Closing: withdrawal, completion and corrections of earlier records, and the notices the course
 * workflow records itself when a due date nears, passes or stays open.
 */

export const WITHDRAWAL_REASONS = [
  'participant_decision',
  'investigator_decision',
  'adverse_event',
  'lost_to_follow_up',
  'other',
] as const;
export const DUE_NOTICES = ['reminder', 'overdue', 'escalation'] as const;

export const WithdrawCourseData = commandData(
  {
    title: 'Withdraw from the course',
    description: 'Ends the course early. Nothing more can be recorded on it afterwards. Signed.',
    example: { reason: 'participant_decision', note: 'Moving abroad', signature: { meaning: 'responsibility' } },
  },
  {
    reason: oneOf(WITHDRAWAL_REASONS).meta({
      description: 'Why the course ends: `participant_decision`, `investigator_decision`, `adverse_event`, `lost_to_follow_up` or `other`.',
    }),
    note: text(1000)
      .optional()
      .meta({ description: 'More about the withdrawal (at most 1000 characters).', examples: ['Moving abroad'] }),
    ...timed(),
    signature: signature(),
  },
);

export const CorrectEventData = commandData(
  {
    title: 'Correct a record',
    description:
      'Corrects values of an earlier assessment or vital-signs reading, found by its position in the record; the original stays in the record. Correcting a signed record voids its signature, so the correction must be signed with the same meaning.',
    example: { eventVersion: 9, reason: 'Transcription error: total was 44, not 42', values: { total: 44 }, signature: { meaning: 'authorship' } },
  },
  {
    eventVersion: streamVersion().meta({
      description: 'The record corrected, by its position (stream version) in the course record: an AssessmentRecorded or VitalsRecorded event.',
      examples: [9],
    }),
    reason: text(1000).meta({ description: 'Why the record is corrected (at most 1000 characters).', examples: ['Transcription error'] }),
    values: outcomeValues().meta({
      description: 'The corrected values by name (at most 100; at least one): only the values that change.',
    }),
    signature: signature(),
  },
);

export const CompleteCourseData = commandData(
  {
    title: 'Complete the course',
    description:
      "Closes the course when its visits and owed assessments are done (or missed past their window). Nothing more can be recorded on it afterwards. Signed.",
    example: { signature: { meaning: 'responsibility' } },
  },
  {
    signature: signature(),
  },
);

export const RecordDueDateNoticeData = commandData(
  {
    title: 'Record a due-date notice',
    description:
      'Issued only by the course workflow (role `system`) when a timer fires: a due date of the course is near, has passed, or is still open a while later. Never accepted over HTTP.',
    example: { notice: 'reminder', dueKey: 'StartSession|dosing-2|Start Dosing session 2|2026-03-03T09:00:00Z', dueAt: '2026-03-03T09:00:00Z' },
  },
  {
    notice: oneOf(DUE_NOTICES).meta({ description: '`reminder` (the date is near), `overdue` (it has passed) or `escalation` (still open a while later).' }),
    dueKey: text(400).meta({ description: 'The due date, by its key in the course (see `availableSteps.due`).', examples: ['StartSession|dosing-2|Start Dosing session 2|2026-03-03T09:00:00Z'] }),
    dueAt: dateTime().meta({ description: 'The due date itself (UTC), as the course has it.' }),
  },
);
