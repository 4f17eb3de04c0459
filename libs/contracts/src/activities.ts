import type { RecordedEvent } from './course-workflow';

export type AppendEventsInput = {
  streamId: string;
  streamType: string;
  expectedVersion: number;
  /** When given, the activity also records notifications for the stored events (idempotent per event). */
  notify?: { courseId: string; siteId: string };
  events: { type: string; schemaVersion: number; data: Record<string, unknown>; metadata: Record<string, unknown> }[];
};

export type NotifyInput = { courseId: string; siteId: string; events: RecordedEvent[] };

/** Event types that raise a notification to the care team (reminders, overdue steps, alerts). */
export const NOTIFIABLE_EVENT_TYPES: readonly string[] = [
  'DueDateReminderIssued',
  'DueDatePassed',
  'DueDateEscalated',
  'EligibilityExpired',
  'AlertRaised',
  'SafetyHoldPlaced',
];

/** The activities the course workflow calls. Workflows import this type only, never the implementation. */
export type CourseActivities = {
  appendEvents(input: AppendEventsInput): Promise<RecordedEvent[]>;
  /** Records notifications for already-stored events; idempotent per event. */
  notify(input: NotifyInput): Promise<number>;
};
