import type { CourseCommand } from './command';
import { clinicalTimeOf } from './clinical-time';
import {
  EVENT_SCHEMA_VERSIONS,
  LATE_FLAGGED_EVENT_TYPES,
  TIMED_EVENT_TYPES,
  type CourseEvent,
  type CourseEventType,
  type EventMetadata,
} from './event';
import { reject, type Rejection } from './rejection';

/*
 * What a decide function answers, and how it builds the events it accepts. Every area's decide functions
 * (areas/<area>/<area>.decide.ts) end in `accept(emit(...))` or `refuse(...)`.
 */

export type Decision = { ok: true; events: CourseEvent[] } | { ok: false; rejection: Rejection };

export const accept = (...events: CourseEvent[]): Decision => ({ ok: true, events });
export const refuse = (rejection: Rejection): Decision => ({ ok: false, rejection });

export const isRejection = (value: unknown): value is Rejection =>
  typeof value === 'object' && value !== null && 'code' in value && 'message' in value;

export const invalid = (message: string, details?: Record<string, unknown>): Decision => refuse(reject('OUTCOME_INVALID', message, details));

const metadataOf = (command: CourseCommand): EventMetadata => ({
  actor: command.metadata.actor,
  occurredAt: command.metadata.now,
  correlationId: command.metadata.correlationId,
  ...(command.metadata.commandId !== undefined ? { commandId: command.metadata.commandId } : {}),
});

type EventOf<T extends CourseEventType> = Extract<CourseEvent, { type: T }>;
/** An event's data as a decide function writes it: `emit` adds the clinical time and the late-entry flag. */
type DecidedData<T extends CourseEventType> = Omit<EventOf<T>['data'], 'performedAt' | 'lateEntryReason'>;

/**
 * Builds an event from a command: current schema version, metadata copied from the command (its entry
 * time included), the clinical time and late-entry flag for the types that carry them, and the signature
 * manifestation (Part 11 §11.50: signer id, printed name, UTC time, meaning) when one was given.
 */
export const emit = <T extends CourseEventType>(command: CourseCommand, type: T, decided: DecidedData<T>): EventOf<T> => {
  const timed = TIMED_EVENT_TYPES.includes(type);
  // The clinical-time rules have ensured a reason is given exactly when the entry is late.
  const reason = (command.data as { lateEntryReason?: string }).lateEntryReason;
  const data = {
    ...decided,
    ...(timed ? { performedAt: clinicalTimeOf(command) } : {}),
    ...((timed || LATE_FLAGGED_EVENT_TYPES.includes(type)) && reason !== undefined ? { lateEntryReason: reason } : {}),
  };
  const signature = 'signature' in command.data ? command.data.signature : undefined;
  const signed = signature
    ? {
        ...data,
        signature: {
          signerId: command.metadata.actor.id,
          printedName: command.metadata.actor.name,
          signedAt: command.metadata.now,
          meaning: signature.meaning,
          ...(signature.recordHash !== undefined ? { recordHash: signature.recordHash } : {}),
          ...(signature.signedFields !== undefined ? { signedFields: [...signature.signedFields] } : {}),
        },
      }
    : data;
  return { type, schemaVersion: EVENT_SCHEMA_VERSIONS[type], data: signed, metadata: metadataOf(command) } as unknown as EventOf<T>;
};
