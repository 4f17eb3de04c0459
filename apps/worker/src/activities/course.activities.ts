import { activityInfo, ApplicationFailure } from '@temporalio/activity';
import { NOTIFIABLE_EVENT_TYPES, type AppendEventsInput, type CourseActivities, type NotifyInput, type RecordedEvent } from '@care/contracts';
import { StreamVersionConflictError, type EventStore, type NotificationOutbox } from '@care/event-store';

type Deps = {
  eventStore: EventStore;
  outbox: NotificationOutbox;
  /** Told how long each append took and how it ended (the worker's metrics). */
  observeAppend?: (seconds: number, outcome: 'stored' | 'conflict' | 'failed') => void;
};

/**
 * The course workflow's activities over injected dependencies. Appends are idempotent: event ids are
 * derived from (stream, version), so a retry after a lost acknowledgement returns what is stored; the
 * notifications recorded with them are idempotent per event too.
 */
export const createCourseActivities = (deps: Deps): CourseActivities => ({
  async appendEvents(input: AppendEventsInput): Promise<RecordedEvent[]> {
    const recorded = await storeEvents(deps, input);
    if (input.notify) await recordNotifications(deps, { ...input.notify, events: recorded });
    return recorded;
  },

  async notify(input: NotifyInput): Promise<number> {
    return recordNotifications(deps, input);
  },
});

const storeEvents = async (deps: Deps, input: AppendEventsInput): Promise<RecordedEvent[]> => {
  const started = process.hrtime.bigint();
  const observe = (outcome: 'stored' | 'conflict' | 'failed') => deps.observeAppend?.(Number(process.hrtime.bigint() - started) / 1e9, outcome);
  try {
    const stored = await deps.eventStore.append(input.streamId, input.streamType, input.expectedVersion, input.events);
    observe('stored');
    return stored.map((s, i) => {
      const event = input.events[i]!;
      return {
        eventId: s.eventId,
        streamVersion: s.streamVersion,
        globalPosition: s.globalPosition,
        type: event.type,
        schemaVersion: event.schemaVersion,
        data: event.data,
        metadata: { ...event.metadata, recordedAt: s.recordedAt },
        recordedAt: s.recordedAt,
      };
    });
  } catch (error) {
    observe(error instanceof StreamVersionConflictError ? 'conflict' : 'failed');
    if (error instanceof StreamVersionConflictError) {
      // The workflow is the stream's only writer, so this means someone wrote around it. Retrying
      // cannot help and must not overwrite anything: stop loudly for an operator.
      throw ApplicationFailure.create({ type: 'StreamVersionConflict', message: error.message, nonRetryable: true });
    }
    throw asRecordFailure(error, activityInfo().attempt);
  }
};

// SQLSTATE classes that pass: connection (08), resources (53), operator intervention such as a
// restart (57), rollbacks such as deadlocks (40), locks (55), system I/O (58).
const TRANSIENT_SQLSTATE_CLASSES = ['08', '40', '53', '55', '57', '58'];
/** An error of unknown kind is retried this many times before it counts as permanent. */
const UNKNOWN_FAILURE_ATTEMPTS = 5;

/**
 * Decides whether retrying an append can help. PostgreSQL down or restarting: retry (for as long as it
 * takes). PostgreSQL refusing the rows (a data, integrity or permission error): retrying writes the
 * same refusal, so it is raised as non-retryable and the course stops loudly. The message names only
 * the SQLSTATE: the server's own message may quote the clinical text it refused.
 */
export const asRecordFailure = (error: unknown, attempt: number): unknown => {
  const code = (error as { code?: unknown })?.code;
  const sqlState = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : null;
  if (sqlState && !TRANSIENT_SQLSTATE_CLASSES.includes(sqlState.slice(0, 2))) {
    return ApplicationFailure.create({ type: 'RecordRefused', message: `the event store refused the append (SQLSTATE ${sqlState})`, nonRetryable: true });
  }
  // ECONNREFUSED, ETIMEDOUT, ...; the driver's and pool's own connection errors carry no code.
  const networkError =
    (typeof code === 'string' && /^E[A-Z]+$/.test(code)) || /connect|connection|terminat|timeout|timed out|socket|shut ?down/i.test(String((error as Error)?.message));
  if (!sqlState && !networkError && attempt >= UNKNOWN_FAILURE_ATTEMPTS) {
    return ApplicationFailure.create({
      type: 'RecordRefused',
      message: `the append kept failing (${(error as Error)?.name ?? 'unknown error'}, ${attempt} attempts)`,
      nonRetryable: true,
    });
  }
  return error;
};

const recordNotifications = (deps: Deps, input: NotifyInput): Promise<number> => {
  // Thin payloads: what happened and where to look, never clinical values (the receiver reads the
  // course through the API, where the read is authorised and logged).
  const entries = input.events
    .filter((e) => NOTIFIABLE_EVENT_TYPES.includes(e.type))
    .map((e) => ({
      eventId: e.eventId,
      courseId: input.courseId,
      siteId: input.siteId,
      kind: e.type,
      payload: {
        type: e.type,
        courseId: input.courseId,
        eventId: e.eventId,
        streamVersion: e.streamVersion,
        recordedAt: e.recordedAt,
        ...pick(e.data, ['label', 'dueAt', 'sessionKey', 'command', 'source']),
      },
    }));
  return deps.outbox.record(entries);
};

const pick = (data: Record<string, unknown>, keys: string[]): Record<string, unknown> =>
  Object.fromEntries(keys.filter((k) => data[k] !== undefined && data[k] !== null).map((k) => [k, data[k]]));
