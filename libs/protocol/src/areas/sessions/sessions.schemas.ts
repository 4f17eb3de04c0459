import { commandData, dateTime, sessionKey, signature, text, timed } from '../fields';

/*
 * Sessions: the visits of the course (preparatory, dosing, integration), each scheduled, started and
 * completed in the protocol's order and intervals, or marked missed or cancelled.
 */

export const ScheduleSessionData = commandData(
  {
    title: 'Schedule a visit',
    description:
      "Books a visit of the protocol for a date and time. The visit before it must be completed, the protocol's interval must allow the time, and a visit cannot be scheduled in the past.",
    example: { sessionKey: 'prep-1', scheduledFor: '2026-01-12T09:00:00Z' },
  },
  {
    sessionKey: sessionKey(),
    scheduledFor: dateTime().meta({ description: 'When the visit is booked to start (UTC). Not in the past.' }),
    signature: signature(),
  },
);

export const StartSessionData = commandData(
  {
    title: 'Start a visit',
    description:
      'Records that a visit began. Its gates must be open (eligibility, washout complete, no safety hold, as the protocol says for the visit), and the previous visit must be completed.',
    example: { sessionKey: 'dosing-1', performedAt: '2026-02-03T08:05:00Z' },
  },
  {
    sessionKey: sessionKey(),
    ...timed(),
    signature: signature(),
  },
);

export const CompleteSessionData = commandData(
  {
    title: 'Complete a visit',
    description:
      'Records that a visit ended. The assessments the protocol requires during the visit must be on record; a dosing visit must have discharged the patient.',
    example: { sessionKey: 'prep-1' },
  },
  {
    sessionKey: sessionKey(),
    ...timed(),
    signature: signature(),
  },
);

export const MarkSessionMissedData = commandData(
  {
    title: 'Mark a visit as missed',
    description: 'Records that a scheduled visit did not take place (the patient did not come). The visit can be scheduled again.',
    example: { sessionKey: 'integration-1.2', reason: 'Patient did not attend; reached by phone, rebooking' },
  },
  {
    sessionKey: sessionKey(),
    reason: text(500).meta({ description: 'Why the visit did not take place (at most 500 characters).', examples: ['Patient did not attend'] }),
    ...timed(),
    signature: signature(),
  },
);

export const CancelSessionData = commandData(
  {
    title: 'Cancel a visit',
    description:
      'Cancels a scheduled visit, or one started but not yet dosed. A dosing visit in which a dose was given cannot be cancelled: it ends with monitoring and discharge.',
    example: { sessionKey: 'dosing-1', reason: 'Pre-dose blood pressure too high on repeat measurement' },
  },
  {
    sessionKey: sessionKey(),
    reason: text(500).meta({ description: 'Why the visit is cancelled (at most 500 characters).', examples: ['Patient unwell'] }),
    ...timed(),
    signature: signature(),
  },
);
