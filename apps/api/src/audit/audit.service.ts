import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '@care/config';
import {
  AccessLog,
  CheckpointSigner,
  PROJECTIONS,
  projectionStatus,
  proveEventInclusion,
  verifyLedger,
  type AccessEntry,
  type AccessRecord,
  type InclusionProof,
  type LedgerVerification,
  type ProjectionStatus,
} from '@care/event-store';
import type { Principal } from '../auth/token-verifier';
import { ApiError } from '../errors/api-error';
import { APP_CONFIG, DATA_SOURCE } from '../infrastructure/tokens';
import { toAuditEntry, type AuditEntry, type AuditRow } from './audit-entry';
import type { AccessLogQueryDto, AuditEventsQueryDto, DenialsQueryDto, VerifyQueryDto } from './dto/audit-query.dto';

/** Signs and checks ledger checkpoints; created from configuration on first use. */
export const LEDGER_SIGNER = Symbol('LEDGER_SIGNER');

type Cursor = { txid: string; position: string };
/** An upper bound past every event (largest xid8 and bigint): "no upper bound" that still is an index condition. */
const LOG_END: Cursor = { txid: '18446744073709551615', position: '9223372036854775807' };
/** Events of the log per export query (matching ones are at most as many). */
const EXPORT_WINDOW = 2000;

const encodeCursor = (c: Cursor): string => Buffer.from(`${c.txid}:${c.position}`, 'utf8').toString('base64url');
const decodeCursor = (raw: string | undefined): Cursor => {
  if (raw === undefined) return { txid: '0', position: '0' };
  const match = /^(\d{1,20}):(\d{1,19})$/.exec(Buffer.from(raw, 'base64url').toString('utf8'));
  // Digits beyond the range of xid8 / bigint would reach PostgreSQL as an error, not as "no such cursor".
  if (!match || BigInt(match[1]!) > BigInt(LOG_END.txid) || BigInt(match[2]!) > BigInt(LOG_END.position)) {
    throw ApiError.badRequest([{ field: 'cursor', message: 'is not a cursor returned by this API' }]);
  }
  return { txid: match[1]!, position: match[2]! };
};

/**
 * The auditors' read-only view of the record. Who may call it is the permission table's business
 * (auth/permissions.ts); here auditors see the courses of the sites their token grants, never another. Every call is itself recorded in the
 * access log, which is part of the signed ledger.
 */
@Injectable()
export class AuditService {
  private readonly accessLog: AccessLog;

  constructor(
    @Inject(DATA_SOURCE) private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LEDGER_SIGNER) private readonly signer: () => CheckpointSigner,
  ) {
    this.accessLog = new AccessLog(db);
  }

  /** A `siteId` filter must be one of the token's sites (403 otherwise; the role check is the guard's). */
  private async requireSite(principal: Principal, filter: { siteId?: string | undefined }, correlationId: string): Promise<void> {
    if (filter.siteId !== undefined && !principal.sites.includes(filter.siteId)) {
      await this.recordDenial(principal, { action: 'access', resource: 'audit', reason: 'site not in token', correlationId });
      throw new ApiError({ statusCode: 403, code: 'PERMISSION_DENIED', message: 'Your access covers only the sites in your token.', details: { permission: 'site' } });
    }
  }

  /** The sites a query covers: the one asked for, or every site the token grants. */
  private sitesOf(principal: Principal, filter: { siteId?: string | undefined }): string[] {
    return filter.siteId !== undefined ? [filter.siteId] : principal.sites;
  }

  /**
   * Records a refused request (bad token, missing permission, failed signature) in the access log.
   * Best effort: the refusal stands whether or not the row could be written.
   */
  async recordDenial(
    principal: Principal | null,
    entry: { action: 'authenticate' | 'access' | 'sign'; resource: string; reason: string; courseId?: string | null; correlationId: string | null },
  ): Promise<void> {
    // An unverified token's claims are not trusted, so a failed login is recorded as anonymous.
    const actor = principal
      ? { id: principal.id, name: principal.name, role: principal.role, siteId: principal.siteId }
      : { id: 'anonymous', name: 'anonymous', role: 'none', siteId: 'none' };
    await this.accessLog
      .record({ actor, action: entry.action, resource: entry.resource.slice(0, 200), courseId: entry.courseId ?? null, query: { reason: entry.reason }, outcome: 'denied', correlationId: entry.correlationId })
      .catch(() => undefined);
  }

  /**
   * Writes an access row per site the access concerns (default: the caller's acting site), so each
   * site's auditors see every read of their site's data, also by an auditor of several sites.
   */
  async record(principal: Principal, entry: Omit<AccessEntry, 'actor'>, sites: string[] = [principal.siteId]): Promise<void> {
    try {
      for (const siteId of sites) {
        await this.accessLog.record({ ...entry, actor: { id: principal.id, name: principal.name, role: principal.role, siteId } });
      }
    } catch {
      // No read without its record: if the access cannot be logged, the data is not handed out.
      throw ApiError.unavailable('The audit log');
    }
  }

  /** One page of events, oldest first in a stable (xmin-safe) order; `nextCursor` continues it. */
  async events(principal: Principal, filter: AuditEventsQueryDto, cursor: string | undefined, limit: number, correlationId: string) {
    await this.requireSite(principal, filter, correlationId);
    const after = decodeCursor(cursor);
    const rows = await this.page(this.sitesOf(principal, filter), filter, after, limit + 1);
    await this.record(principal, { action: 'read', resource: 'audit-events', courseId: filter.courseId ?? null, query: { ...filter, limit }, outcome: 'ok', correlationId }, this.sitesOf(principal, filter));
    const more = rows.length > limit;
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      entries: page.map(toAuditEntry),
      nextCursor: more && last ? encodeCursor({ txid: last.txid, position: last.global_position }) : null,
    };
  }

  /**
   * Every matching entry, in batches read by keyset (constant memory however long the log). The
   * consumer is awaited between batches, so a slow client slows the reads (backpressure).
   */
  async *stream(principal: Principal, filter: AuditEventsQueryDto, format: string, correlationId: string): AsyncGenerator<AuditEntry[]> {
    await this.requireSite(principal, filter, correlationId);
    await this.record(principal, { action: 'export', resource: 'audit-export', courseId: filter.courseId ?? null, query: { ...filter, format }, outcome: 'ok', correlationId }, this.sitesOf(principal, filter));
    const sites = this.sitesOf(principal, filter);
    // Keyset windows of EXPORT_WINDOW events of the whole log, filtered inside the window. Asking
    // for "the next 2,000 matches" instead lets PostgreSQL fetch every remaining match and sort it
    // for each batch (quadratic: 20x slower than COPY at 100,000 rows of one site of 1,000,000).
    let after: Cursor = { txid: '0', position: '0' };
    for (;;) {
      const until = await this.windowEnd(after);
      const rows = await this.page(sites, filter, after, EXPORT_WINDOW, until ?? LOG_END, true);
      if (rows.length > 0) yield rows.map(toAuditEntry);
      if (until) {
        after = until;
        continue;
      }
      // The last, open window: events settling meanwhile may still fill it, so go on until one is short.
      if (rows.length < EXPORT_WINDOW) return;
      const last = rows[rows.length - 1]!;
      after = { txid: last.txid, position: last.global_position };
    }
  }

  /** The last settled event of the window of EXPORT_WINDOW events after `after`; null when fewer remain. */
  private async windowEnd(after: Cursor): Promise<Cursor | null> {
    const [row] = (await this.db.query(
      `SELECT e.transaction_id::text AS txid, e.global_position::text AS position FROM es.events e
        WHERE (e.transaction_id, e.global_position) > ($1::xid8, $2::bigint) AND e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY e.transaction_id, e.global_position OFFSET $3 LIMIT 1`,
      [after.txid, after.position, EXPORT_WINDOW - 1],
    )) as Cursor[];
    return row ?? null;
  }

  private async page(sites: string[], f: AuditEventsQueryDto, after: Cursor, limit: number, until: Cursor = LOG_END, windowed = false): Promise<AuditRow[]> {
    // Windowed (export): the window's events are read first, by the (transaction id, position) index,
    // then filtered; otherwise the planner may start from every course's first event instead.
    const window = windowed
      ? `WITH w AS MATERIALIZED (
           SELECT * FROM es.events w0
            WHERE (w0.transaction_id, w0.global_position) > ($9::xid8, $10::bigint) AND (w0.transaction_id, w0.global_position) <= ($12::xid8, $13::bigint)
              AND w0.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
            ORDER BY w0.transaction_id, w0.global_position LIMIT $11)`
      : '';
    return (await this.db.query(
      `${window}
       SELECT e.global_position::text, e.transaction_id::text AS txid, e.stream_id, e.stream_version::text, e.event_id::text, e.event_type,
              e.schema_version, e.data, e.metadata, e.recorded_at, e.hash,
              s.data ->> 'siteId' AS site_id, s.data ->> 'patientRef' AS patient_ref,
              c.event_type AS corrected_type, c.data AS corrected_data, p.values AS previous_values
         FROM ${windowed ? 'w' : 'es.events'} e
         JOIN es.events s ON s.stream_id = e.stream_id AND s.stream_version = 1
         LEFT JOIN es.events c ON e.event_type = 'EventCorrected' AND c.stream_id = e.stream_id
                              AND c.stream_version = CASE WHEN e.data ->> 'eventVersion' ~ '^[0-9]{1,18}$' THEN (e.data ->> 'eventVersion')::bigint END
         LEFT JOIN LATERAL (
              SELECT pc.data -> 'values' AS values FROM es.events pc
               WHERE e.event_type = 'EventCorrected' AND pc.stream_id = e.stream_id AND pc.event_type = 'EventCorrected'
                 AND pc.stream_version < e.stream_version AND pc.data ->> 'eventVersion' = e.data ->> 'eventVersion'
               ORDER BY pc.stream_version DESC LIMIT 1) p ON true
        WHERE s.data ->> 'siteId' = ANY($1::text[])
          AND ($2::text IS NULL OR e.stream_id = 'course-' || $2)
          AND ($3::text IS NULL OR s.data ->> 'patientRef' = $3)
          AND ($4::text IS NULL OR e.metadata #>> '{actor,id}' = $4)
          AND ($5::text IS NULL OR e.metadata #>> '{actor,role}' = $5)
          AND ($6::text IS NULL OR e.event_type = $6)
          AND ($7::timestamptz IS NULL OR e.recorded_at >= $7)
          AND ($8::timestamptz IS NULL OR e.recorded_at < $8)
          AND (e.transaction_id, e.global_position) > ($9::xid8, $10::bigint)
          AND (e.transaction_id, e.global_position) <= ($12::xid8, $13::bigint)
          AND e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY e.transaction_id, e.global_position
        LIMIT $11`,
      [sites, f.courseId ?? null, f.patientRef ?? null, f.actorId ?? null, f.role ?? null, f.eventType ?? null, f.from ?? null, f.to ?? null, after.txid, after.position, limit, until.txid, until.position],
    )) as AuditRow[];
  }

  async accessLogPage(principal: Principal, q: AccessLogQueryDto, correlationId: string): Promise<{ entries: AccessRecord[]; nextCursor: string | null }> {
    await this.requireSite(principal, q, correlationId);
    const limit = q.limit ?? 100;
    // The access log is listed one site at a time; an auditor of several sites names the site (default: the first).
    const entries = await this.accessLog.list({
      siteId: q.siteId ?? principal.siteId,
      ...(q.courseId ? { courseId: q.courseId } : {}),
      ...(q.actorId ? { actorId: q.actorId } : {}),
      ...(q.from ? { from: q.from } : {}),
      ...(q.to ? { to: q.to } : {}),
      ...(q.cursor ? { afterId: q.cursor } : {}),
      limit: limit + 1,
    });
    await this.record(principal, { action: 'read', resource: 'audit-access-log', courseId: q.courseId ?? null, query: { ...q }, outcome: 'ok', correlationId }, [q.siteId ?? principal.siteId]);
    const page = entries.slice(0, limit);
    return { entries: page, nextCursor: entries.length > limit ? page[page.length - 1]!.accessId : null };
  }

  async verify(principal: Principal, q: VerifyQueryDto, correlationId: string): Promise<LedgerVerification> {
    if (q.fromLeaf !== undefined && q.toLeaf !== undefined && q.toLeaf <= q.fromLeaf) {
      throw ApiError.badRequest([{ field: 'toLeaf', message: 'must be greater than fromLeaf' }]);
    }
    await this.record(principal, { action: 'verify', resource: 'ledger', query: { ...q }, outcome: 'ok', correlationId });
    return verifyLedger(this.db, this.signer(), { origin: this.config.ledger.origin, ...(q.fromLeaf !== undefined ? { fromLeaf: q.fromLeaf } : {}), ...(q.toLeaf !== undefined ? { toLeaf: q.toLeaf } : {}) });
  }

  async proof(principal: Principal, eventId: string, correlationId: string): Promise<InclusionProof> {
    const notFound = new ApiError({ statusCode: 404, code: 'EVENT_NOT_FOUND', message: 'No such event at your site.' });
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(eventId)) throw notFound;
    const [row] = (await this.db.query(
      `SELECT e.stream_id, s.data ->> 'siteId' AS site_id FROM es.events e JOIN es.events s ON s.stream_id = e.stream_id AND s.stream_version = 1
        WHERE e.event_id = $1 AND s.data ->> 'siteId' = ANY($2::text[])`,
      [eventId, principal.sites],
    )) as { stream_id: string; site_id: string }[];
    if (!row) throw notFound;
    await this.record(principal, { action: 'proof', resource: 'ledger', courseId: row.stream_id.replace(/^course-/, ''), query: { eventId }, outcome: 'ok', correlationId }, [row.site_id]);
    const proof = await proveEventInclusion(this.db, this.signer(), eventId);
    if (proof === null) throw notFound;
    if (proof === 'pending') {
      throw new ApiError({
        statusCode: 409,
        code: 'NOT_YET_CHECKPOINTED',
        message: 'This event is recorded but not yet covered by a signed checkpoint; retry shortly.',
        details: { retryable: true },
      });
    }
    return proof;
  }

  /**
   * Refused requests of the token's sites, and failed logins (recorded as anonymous, site `none`: an
   * unverified token names no trustworthy site). Holds no clinical data: route, reason, who, when.
   */
  async denials(principal: Principal, q: DenialsQueryDto, correlationId: string) {
    const limit = q.limit ?? 100;
    const rows = (await this.db.query(
      `SELECT access_id::text, accessed_at, actor_id, actor_role, actor_site, action, resource, course_id, query ->> 'reason' AS reason, correlation_id
         FROM audit.access_log
        WHERE outcome = 'denied' AND (actor_site = ANY($1::text[]) OR actor_site = 'none')
          AND ($2::timestamptz IS NULL OR accessed_at >= $2) AND access_id > $3
          AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY access_id LIMIT $4`,
      [principal.sites, q.from ?? null, q.cursor ?? '0', limit + 1],
    )) as { access_id: string; accessed_at: Date; actor_id: string; actor_role: string; actor_site: string; action: string; resource: string; course_id: string | null; reason: string | null; correlation_id: string | null }[];
    await this.record(principal, { action: 'read', resource: 'audit-denials', query: { ...q }, outcome: 'ok', correlationId }, principal.sites);
    const page = rows.slice(0, limit);
    return {
      entries: page.map((r) => ({
        accessId: r.access_id,
        at: r.accessed_at.toISOString(),
        actor: { id: r.actor_id, role: r.actor_role, siteId: r.actor_site },
        action: r.action,
        resource: r.resource,
        courseId: r.course_id,
        reason: r.reason,
        correlationId: r.correlation_id,
      })),
      nextCursor: rows.length > limit ? page[page.length - 1]!.access_id : null,
    };
  }

  async projections(): Promise<ProjectionStatus[]> {
    return projectionStatus(this.db, PROJECTIONS);
  }
}
