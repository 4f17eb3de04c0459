import { ApplicationFailure } from '@temporalio/activity';
import type { AppendEventsInput, CourseActivities, RecordedEvent } from '@care/contracts';
import { StreamVersionConflictError, type EventStore } from '@care/event-store';

/**
 * The course workflow's activities over injected dependencies. Appends are idempotent: event ids are
 * derived from (stream, version), so a retry after a lost acknowledgement returns what is stored.
 */
export const createCourseActivities = (deps: { eventStore: EventStore }): CourseActivities => ({
  async appendEvents(input: AppendEventsInput): Promise<RecordedEvent[]> {
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
  },
});
