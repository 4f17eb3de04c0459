/*
 * The shapes the console reads, taken from the service's own types (type-only imports: nothing of the
 * server's code is bundled). The console learns the commands' fields from /openapi.json at run time.
 */
import type { Worklist, WorklistItem } from '@care/contracts';
import type { AvailableSteps, BlockedStep, CourseState, DueDate, OutcomeField, ProtocolDefinition, SafetyHold, SessionState, SignatureManifestation, Step, VitalsReading } from '@care/protocol';

export type { Worklist, WorklistItem };
export type { AvailableSteps, BlockedStep, CourseState, DueDate, OutcomeField, SafetyHold, SessionState, SignatureManifestation, Step, VitalsReading };

export type CourseView = CourseState & { availableSteps: AvailableSteps };

/** GET /protocols/:id/versions/:v: the definition plus what a client needs to ask for a late-entry reason in time. */
export type ProtocolVersion = ProtocolDefinition & { lateEntryAfterMinutes: number; clinicalTimeFields: Record<string, string | null> };

export type RecordedEvent = {
  globalPosition: string;
  streamVersion: number;
  eventId: string;
  type: string;
  schemaVersion: number;
  data: Record<string, unknown>;
  metadata: { actor?: { id?: string; name?: string; role?: string; siteId?: string }; occurredAt?: string; correlationId?: string; commandId?: string };
  recordedAt: string;
};


/** A command's answer: the state and the events recorded (200/201), or, sent with its outcome not known yet (202), where to read it. */
export type CommandAnswer = { state?: CourseState; events?: { type: string; streamVersion: number }[]; statusUrl?: string; message?: string };
