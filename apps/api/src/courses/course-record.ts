import { evolve, initialState, upcastEvent, type CourseState, type EventMetadata } from '@care/protocol';
import type { StoredEvent } from '@care/event-store';

/**
 * A course's state folded from its stored events with the protocol's own `evolve`: what the record
 * says, readable with the worker down and for as long as the record is kept (a workflow query only
 * answers while the run exists in Temporal).
 */
export const foldCourse = (events: StoredEvent[]): CourseState =>
  events.reduce(
    (state, e) => evolve(state, upcastEvent({ type: e.type, schemaVersion: e.schemaVersion, data: e.data, metadata: e.metadata as unknown as EventMetadata })),
    initialState(),
  );
