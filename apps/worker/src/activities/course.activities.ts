import { ApplicationFailure } from '@temporalio/activity';
import { NOTIFIABLE_EVENT_TYPES, type AppendEventsInput, type CourseActivities, type NotifyInput, type RecordedEvent } from '@care/contracts';
import { StreamVersionConflictError, type EventStore, type NotificationOutbox } from '@care/event-store';

type Deps = { eventStore: EventStore; outbox: NotificationOutbox };

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
  try {
    const stored = await deps.eventStore.append(input.streamId, input.streamType, input.expectedVersion, input.events);
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
    if (error instanceof StreamVersionConflictError) {
      // The workflow is the stream's only writer, so this means someone wrote around it. Retrying
      // cannot help and must not overwrite anything: stop loudly for an operator.
      throw ApplicationFailure.create({ type: 'StreamVersionConflict', message: error.message, nonRetryable: true });
    }
    throw error;
  }
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
