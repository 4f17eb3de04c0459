import type { Actor } from './actor';

/** Who, when and why: copied from the command that produced the event. */
export type EventMetadata = {
  actor: Actor;
  occurredAt: string;
  correlationId: string;
};

type Event<T extends string, D> = { type: T; schemaVersion: number; data: D; metadata: EventMetadata };

export type CourseStarted = Event<
  'CourseStarted',
  { courseId: string; patientRef: string; siteId: string; protocolId: string; protocolVersion: number }
>;
export type InformedConsentRecorded = Event<'InformedConsentRecorded', { consentFormVersion: string; consentedAt: string }>;
export type EmergencyContactRecorded = Event<'EmergencyContactRecorded', { contactRef: string }>;

export type CourseEvent = CourseStarted | InformedConsentRecorded | EmergencyContactRecorded;
export type CourseEventType = CourseEvent['type'];
