import type { RecordedEvent } from './course-workflow';

export type AppendEventsInput = {
  streamId: string;
  streamType: string;
  expectedVersion: number;
  events: { type: string; schemaVersion: number; data: Record<string, unknown>; metadata: Record<string, unknown> }[];
};

/** The activities the course workflow calls. Workflows import this type only, never the implementation. */
export type CourseActivities = {
  appendEvents(input: AppendEventsInput): Promise<RecordedEvent[]>;
};
