import type { DataSource } from 'typeorm';

/** One read of clinical or audit data: who (id, printed name, role, site), what, and the outcome. */
export type AccessEntry = {
  actor: { id: string; name: string; role: string; siteId: string };
  /**
   * `authenticate`, `access`, `sign`: refused attempts (outcome `denied`), recorded by the API.
   * `manage`: an admin's change to integrations (a source, a subscription, a secret rotation, a redelivery).
   */
  action: 'read' | 'export' | 'verify' | 'proof' | 'authenticate' | 'access' | 'sign' | 'manage';
  /** What was read, e.g. `course`, `course-events`, `audit-events`. */
  resource: string;
  courseId?: string | null;
  /** The filters of an audit query (kept so a reviewer can see what an auditor looked for). */
  query?: Record<string, unknown>;
  outcome: 'ok' | 'not_found' | 'denied';
  correlationId?: string | null;
};

/** A stored access-log row as auditors see it. */
export type AccessRecord = AccessEntry & { accessId: string; accessedAt: string };

/**
 * The read-access log (`audit.access_log`): append-only in the database, and part of the signed ledger.
 * There is no update or delete here on purpose.
 */
export class AccessLog {
  constructor(private readonly db: DataSource) {}

  async record(entry: AccessEntry): Promise<void> {
    const params: unknown[] = [];
    await this.db.query(`WITH ${AccessLog.insertCte([entry], params)} SELECT 1`, params);
  }

  /**
   * The INSERT of `entries` as a data-modifying CTE named `logged` (its parameters are appended to
   * `params`), for a read that writes its record in the same statement: one round trip, and the data
   * is never handed out unless its record was written.
   */
  static insertCte(entries: AccessEntry[], params: unknown[]): string {
    const column = (values: unknown[], type: string): string => {
      params.push(values);
      return `$${params.length}::${type}[]`;
    };
    return `logged AS (
      INSERT INTO audit.access_log (actor_id, actor_name, actor_role, actor_site, action, resource, course_id, query, outcome, correlation_id)
      SELECT * FROM unnest(${[
        column(entries.map((e) => e.actor.id), 'text'),
        column(entries.map((e) => e.actor.name), 'text'),
        column(entries.map((e) => e.actor.role), 'text'),
        column(entries.map((e) => e.actor.siteId), 'text'),
        column(entries.map((e) => e.action), 'text'),
        column(entries.map((e) => e.resource), 'text'),
        column(entries.map((e) => e.courseId ?? null), 'text'),
        column(entries.map((e) => JSON.stringify(e.query ?? {})), 'jsonb'),
        column(entries.map((e) => e.outcome), 'text'),
        column(entries.map((e) => e.correlationId ?? null), 'text'),
      ].join(', ')})
      RETURNING 1)`;
  }

  /**
   * Access rows, oldest first, after `afterId`, restricted to one site (the actor's site, or the site
   * of the course read). Ordered by id within the xmin-safe horizon, so paging never skips a row.
   */
  async list(filter: { siteId: string; courseId?: string; actorId?: string; from?: string; to?: string; afterId?: string; limit: number }): Promise<AccessRecord[]> {
    const rows = (await this.db.query(
      `SELECT access_id::text, accessed_at, actor_id, actor_name, actor_role, actor_site, action, resource, course_id, query, outcome, correlation_id
         FROM audit.access_log
        WHERE actor_site = $1
          AND ($2::text IS NULL OR course_id = $2) AND ($3::text IS NULL OR actor_id = $3)
          AND ($4::timestamptz IS NULL OR accessed_at >= $4) AND ($5::timestamptz IS NULL OR accessed_at < $5)
          AND access_id > $6 AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY audit.access_log.access_id LIMIT $7`,
      [filter.siteId, filter.courseId ?? null, filter.actorId ?? null, filter.from ?? null, filter.to ?? null, filter.afterId ?? '0', filter.limit],
    )) as {
      access_id: string;
      accessed_at: Date;
      actor_id: string;
      actor_name: string;
      actor_role: string;
      actor_site: string;
      action: AccessEntry['action'];
      resource: string;
      course_id: string | null;
      query: Record<string, unknown>;
      outcome: AccessEntry['outcome'];
      correlation_id: string | null;
    }[];
    return rows.map((r) => ({
      accessId: r.access_id,
      accessedAt: r.accessed_at.toISOString(),
      actor: { id: r.actor_id, name: r.actor_name, role: r.actor_role, siteId: r.actor_site },
      action: r.action,
      resource: r.resource,
      courseId: r.course_id,
      query: r.query,
      outcome: r.outcome,
      correlationId: r.correlation_id,
    }));
  }
}
