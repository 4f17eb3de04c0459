import type { Actor } from './actor';

/** Context every command carries. The decider has no clock: `now` is the authoritative time (UTC ISO-8601). */
export type CommandMetadata = {
  actor: Actor;
  now: string;
  correlationId: string;
  /** If given, the command is refused with VERSION_CONFLICT unless the course is at exactly this version. */
  expectedVersion?: number;
};

export type StartCourse = {
  type: 'StartCourse';
  data: { courseId: string; patientRef: string; siteId: string; protocolId: string };
  metadata: CommandMetadata;
};

export type RecordInformedConsent = {
  type: 'RecordInformedConsent';
  data: { consentFormVersion: string; consentedAt: string };
  metadata: CommandMetadata;
};

export type RecordEmergencyContact = {
  type: 'RecordEmergencyContact';
  data: { contactRef: string };
  metadata: CommandMetadata;
};

export type CourseCommand = StartCourse | RecordInformedConsent | RecordEmergencyContact;
export type CourseCommandType = CourseCommand['type'];
