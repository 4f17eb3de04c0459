import type { DataSource } from 'typeorm';

export type OutboxEntry = { eventId: string; courseId: string; siteId: string; kind: string; payload: Record<string, unknown> };

/** Notifications waiting for delivery (outbound webhooks pick them up). One row per triggering event. */
export class NotificationOutbox {
  constructor(private readonly db: DataSource) {}

  /** Records entries; an entry whose event is already recorded is skipped, so retries write nothing twice. */
  async record(entries: OutboxEntry[]): Promise<number> {
    if (entries.length === 0) return 0;
    const rows = (await this.db.query(
      `INSERT INTO notify.outbox (event_id, course_id, site_id, kind, payload)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::jsonb[])
       ON CONFLICT (event_id) DO NOTHING RETURNING id`,
      [
        entries.map((e) => e.eventId),
        entries.map((e) => e.courseId),
        entries.map((e) => e.siteId),
        entries.map((e) => e.kind),
        entries.map((e) => JSON.stringify(e.payload)),
      ],
    )) as unknown[];
    return rows.length;
  }
}
