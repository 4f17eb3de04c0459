import {
  EVENT_SCHEMA_VERSIONS,
  LATE_FLAGGED_EVENT_TYPES,
  TIMED_EVENT_TYPES,
  type CourseEvent,
  type CourseEventType,
  type EventMetadata,
} from './event';

/** An event as stored: any schema version, data not yet trusted to match the current type. */
export type StoredEventInput = { type: string; schemaVersion: number; data: Record<string, unknown>; metadata: EventMetadata };

type Upcaster = (data: Record<string, unknown>, metadata: EventMetadata) => Record<string, unknown>;

/**
 * One step per (type, from-version): brings data from version n to n + 1. Stored events are never
 * rewritten; they are upcast each time they are read, so replays of old streams keep working.
 */
/** Before clinical times, a step was recorded as happening when it was entered, and nothing was a late entry. */
const untimed: Upcaster = (data, metadata) => ({ ...data, performedAt: metadata.occurredAt });
/** Only the optional `lateEntryReason` was added: an earlier event is simply not a late entry. */
const unflagged: Upcaster = (data) => data;

/** The version each type had before clinical times (its upcaster from there adds them). */
const BEFORE_CLINICAL_TIMES = (type: CourseEventType): number => EVENT_SCHEMA_VERSIONS[type] - 1;

const UPCASTERS: Partial<Record<CourseEventType, Record<number, Upcaster>>> = {
  ...Object.fromEntries(TIMED_EVENT_TYPES.map((type) => [type, { [BEFORE_CLINICAL_TIMES(type)]: untimed }])),
  ...Object.fromEntries(LATE_FLAGGED_EVENT_TYPES.map((type) => [type, { [BEFORE_CLINICAL_TIMES(type)]: unflagged }])),
  InformedConsentRecorded: {
    // v2 added `consentsToRecording`; a v1 consent did not ask, so the answer is unknown (null), never false.
    1: (data) => ({ ...data, consentsToRecording: null }),
    2: unflagged,
  },
};

/** Brings a stored event to the current schema version of its type. Throws on an unknown type or a version from the future. */
export const upcastEvent = (raw: StoredEventInput): CourseEvent => {
  const type = raw.type as CourseEventType;
  const current = EVENT_SCHEMA_VERSIONS[type];
  if (current === undefined) throw new Error(`Unknown event type ${raw.type}`);
  if (!Number.isInteger(raw.schemaVersion) || raw.schemaVersion < 1 || raw.schemaVersion > current) {
    throw new Error(`Event ${raw.type} has schema version ${raw.schemaVersion}; this build knows versions 1 to ${current}`);
  }
  let data = raw.data;
  for (let version = raw.schemaVersion; version < current; version++) {
    const step = UPCASTERS[type]?.[version];
    if (!step) throw new Error(`No upcaster for ${raw.type} v${version}`);
    data = step(data, raw.metadata);
  }
  return { type, schemaVersion: current, data, metadata: raw.metadata } as CourseEvent;
};
