import type { QueryRunner } from 'typeorm';
import { evolve, initialState, upcastEvent, worklistItems, type CourseState, type EventMetadata, type WorkItem } from '@care/protocol';
import type { ProjectedEvent, Projection } from './projection';

const COURSE_STREAM = /^course-(.+)$/;

/** Folds one event with the protocol's own evolve; an event this build cannot read leaves the state as it was. */
const fold = (state: CourseState, event: ProjectedEvent): CourseState => {
  try {
    return evolve(state, upcastEvent({ type: event.type, schemaVersion: event.schemaVersion, data: event.data, metadata: event.metadata as EventMetadata }));
  } catch {
    // Unknown type or schema version from a newer build: count it, so the version still matches the stream.
    return { ...state, version: event.streamVersion, eventTypes: [...state.eventTypes, event.type] };
  }
};

/** Worklist rows of a course at time `now`: the protocol's own `worklistItems` (due dates and timed steps). */
const workItems = (state: CourseState, now: string): WorkItem[] => {
  try {
    return worklistItems(state, now);
  } catch {
    return [];
  }
};

/**
 * Course summary (status, phase, next due date, site, patient reference) and the staff worklist, both
 * from the course state the protocol folds. Keeps the folded state per course so each event costs one
 * evolve, not a replay of the stream.
 */
export const courseSummaryProjection: Projection = {
  name: 'course-summary',
  async reset(runner: QueryRunner) {
    await runner.query(`DELETE FROM projections.worklist_items`);
    await runner.query(`DELETE FROM projections.course_summary`);
  },
  async apply(runner: QueryRunner, events: ProjectedEvent[]) {
    const courseEvents = events.filter((e) => COURSE_STREAM.test(e.streamId));
    const streamIds = [...new Set(courseEvents.map((e) => e.streamId))];
    if (streamIds.length === 0) return;
    const existing = (await runner.query(`SELECT stream_id, state, patient_ref FROM projections.course_summary WHERE stream_id = ANY($1)`, [streamIds])) as {
      stream_id: string;
      state: CourseState;
      patient_ref: string | null;
    }[];
    const states = new Map(existing.map((r) => [r.stream_id, { state: r.state, patientRef: r.patient_ref, last: null as ProjectedEvent | null }]));
    for (const event of courseEvents) {
      const entry = states.get(event.streamId) ?? { state: initialState(), patientRef: null, last: null };
      if (event.streamVersion <= entry.state.version) continue; // already applied (a rebuild racing a runner)
      entry.state = fold(entry.state, event);
      if (event.type === 'CourseStarted' && typeof event.data['patientRef'] === 'string') entry.patientRef = event.data['patientRef'];
      entry.last = event;
      states.set(event.streamId, entry);
    }
    for (const [streamId, { state, patientRef, last }] of states) {
      if (!last) continue;
      const courseId = state.courseId ?? COURSE_STREAM.exec(streamId)![1]!;
      const now = typeof last.metadata['occurredAt'] === 'string' ? (last.metadata['occurredAt'] as string) : last.recordedAt;
      const items = state.siteId ? workItems(state, now) : [];
      // The next deadline: a step due from a time but with no deadline (a discharge) is not one.
      const next = items.filter((i) => !i.openEnded).sort((a, b) => a.dueAt.localeCompare(b.dueAt))[0];
      await runner.query(
        `INSERT INTO projections.course_summary (stream_id, course_id, site_id, patient_ref, protocol_id, status, phase, version, started_at, closed_at,
                                                 next_due_at, next_due_label, last_event_type, state, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, now())
         ON CONFLICT (stream_id) DO UPDATE SET site_id = EXCLUDED.site_id, patient_ref = EXCLUDED.patient_ref, protocol_id = EXCLUDED.protocol_id,
           status = EXCLUDED.status, phase = EXCLUDED.phase, version = EXCLUDED.version, started_at = EXCLUDED.started_at, closed_at = EXCLUDED.closed_at,
           next_due_at = EXCLUDED.next_due_at, next_due_label = EXCLUDED.next_due_label, last_event_type = EXCLUDED.last_event_type,
           state = EXCLUDED.state, updated_at = now()`,
        [
          streamId, courseId, state.siteId, patientRef, state.protocol?.id ?? null, state.status, state.phase, state.version,
          state.startedAt, state.closedAt, next?.dueAt ?? null, next?.label ?? null, last.type, JSON.stringify(state),
        ],
      );
      await runner.query(`DELETE FROM projections.worklist_items WHERE stream_id = $1`, [streamId]);
      if (items.length > 0 && state.siteId) {
        await runner.query(
          `INSERT INTO projections.worklist_items (stream_id, item_key, course_id, site_id, label, command, session_key, earliest_at, due_at, open_ended)
           SELECT $1, u.key, $2, $3, u.label, u.command, u.session_key, u.earliest, u.due, u.open_ended
             FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[], $9::timestamptz[], $10::boolean[])
                  AS u (key, label, command, session_key, earliest, due, open_ended)`,
          [
            streamId, courseId, state.siteId, items.map((i) => i.key), items.map((i) => i.label), items.map((i) => i.command),
            items.map((i) => i.sessionKey), items.map((i) => i.earliestAt), items.map((i) => i.dueAt), items.map((i) => i.openEnded),
          ],
        );
      }
    }
  },
};
