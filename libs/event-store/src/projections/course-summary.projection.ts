import type { QueryRunner } from 'typeorm';
import { availableSteps, evolve, initialState, upcastEvent, type CourseState, type EventMetadata } from '@care/protocol';
import type { ProjectedEvent, Projection } from './projection';

const COURSE_STREAM = /^course-(.+)$/;

type WorkItem = { key: string; label: string; command: string; sessionKey: string | null; earliestAt: string | null; dueAt: string };

/** Folds one event with the protocol's own evolve; an event this build cannot read leaves the state as it was. */
const fold = (state: CourseState, event: ProjectedEvent): CourseState => {
  try {
    return evolve(state, upcastEvent({ type: event.type, schemaVersion: event.schemaVersion, data: event.data, metadata: event.metadata as EventMetadata }));
  } catch {
    // Unknown type or schema version from a newer build: count it, so the version still matches the stream.
    return { ...state, version: event.streamVersion, eventTypes: [...state.eventTypes, event.type] };
  }
};

/** Due dates (and time-boxed steps) of a course at time `now`, as worklist rows. */
const workItems = (state: CourseState, now: string): WorkItem[] => {
  let steps: ReturnType<typeof availableSteps>;
  try {
    steps = availableSteps(state, now);
  } catch {
    return [];
  }
  const items = new Map<string, WorkItem>();
  for (const d of steps.due ?? []) {
    const key = `due|${d.command}|${d.sessionKey ?? ''}|${d.label}`;
    items.set(key, { key, label: d.label, command: d.command, sessionKey: d.sessionKey ?? null, earliestAt: null, dueAt: d.dueAt });
  }
  for (const s of steps.available ?? []) {
    if (!s.dueBy) continue;
    const key = `step|${s.command}|${s.sessionKey ?? ''}|${s.timepoint ?? ''}|${s.ref ?? ''}`;
    items.set(key, { key, label: s.label, command: s.command, sessionKey: s.sessionKey ?? null, earliestAt: s.earliest ?? null, dueAt: s.dueBy });
  }
  return [...items.values()];
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
      const next = [...items].sort((a, b) => a.dueAt.localeCompare(b.dueAt))[0];
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
          `INSERT INTO projections.worklist_items (stream_id, item_key, course_id, site_id, label, command, session_key, earliest_at, due_at)
           SELECT $1, u.key, $2, $3, u.label, u.command, u.session_key, u.earliest, u.due
             FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[], $9::timestamptz[]) AS u (key, label, command, session_key, earliest, due)`,
          [
            streamId, courseId, state.siteId, items.map((i) => i.key), items.map((i) => i.label), items.map((i) => i.command),
            items.map((i) => i.sessionKey), items.map((i) => i.earliestAt), items.map((i) => i.dueAt),
          ],
        );
      }
    }
  },
};
