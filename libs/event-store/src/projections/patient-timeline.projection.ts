import type { QueryRunner } from 'typeorm';
import type { ProjectedEvent, Projection } from './projection';

const COURSE_STREAM = /^course-(.+)$/;
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/**
 * One row per course event, keyed to the patient reference: what happened, when, by whom and why.
 * Needs only the envelope (type, actor, times, reason), so any event type the protocol adds appears.
 */
export const patientTimelineProjection: Projection = {
  name: 'patient-timeline',
  async reset(runner: QueryRunner) {
    await runner.query(`DELETE FROM projections.patient_timeline`);
  },
  async apply(runner: QueryRunner, events: ProjectedEvent[]) {
    const courseEvents = events.filter((e) => COURSE_STREAM.test(e.streamId));
    if (courseEvents.length === 0) return;
    // The patient and site come from the course's first event, in this batch or already projected.
    const starts = new Map<string, { patientRef: string | null; siteId: string | null }>();
    for (const e of courseEvents) if (e.type === 'CourseStarted') starts.set(e.streamId, { patientRef: str(e.data['patientRef']), siteId: str(e.data['siteId']) });
    const missing = [...new Set(courseEvents.map((e) => e.streamId))].filter((s) => !starts.has(s));
    if (missing.length > 0) {
      const rows = (await runner.query(
        `SELECT stream_id, data ->> 'patientRef' AS patient_ref, data ->> 'siteId' AS site_id FROM es.events
          WHERE stream_id = ANY($1) AND stream_version = 1`,
        [missing],
      )) as { stream_id: string; patient_ref: string | null; site_id: string | null }[];
      for (const r of rows) starts.set(r.stream_id, { patientRef: r.patient_ref, siteId: r.site_id });
    }
    const actor = (e: ProjectedEvent) => (e.metadata['actor'] ?? {}) as Record<string, unknown>;
    await runner.query(
      `INSERT INTO projections.patient_timeline (global_position, stream_id, stream_version, course_id, site_id, patient_ref, event_type, occurred_at,
                                                 recorded_at, actor_id, actor_name, actor_role, reason)
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[],
                            $9::timestamptz[], $10::text[], $11::text[], $12::text[], $13::text[])
       ON CONFLICT (global_position) DO NOTHING`,
      [
        courseEvents.map((e) => e.globalPosition),
        courseEvents.map((e) => e.streamId),
        courseEvents.map((e) => e.streamVersion),
        courseEvents.map((e) => COURSE_STREAM.exec(e.streamId)![1]!),
        courseEvents.map((e) => starts.get(e.streamId)?.siteId ?? null),
        courseEvents.map((e) => starts.get(e.streamId)?.patientRef ?? null),
        courseEvents.map((e) => e.type),
        courseEvents.map((e) => (str(e.metadata['occurredAt']) && !Number.isNaN(Date.parse(str(e.metadata['occurredAt'])!)) ? str(e.metadata['occurredAt']) : null)),
        courseEvents.map((e) => e.recordedAt),
        courseEvents.map((e) => str(actor(e)['id'])),
        courseEvents.map((e) => str(actor(e)['name'])),
        courseEvents.map((e) => str(actor(e)['role'])),
        courseEvents.map((e) => str(e.data['reason'])),
      ],
    );
  },
};
