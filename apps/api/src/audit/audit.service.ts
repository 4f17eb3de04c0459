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
import { CSV_HEADER, csvLine, entryColumns, ENTRY_JOINS, entryLine, toAuditEntry, type EntryRow, type JsonEntryRow } from './audit-entry';
import type { AccessLogQueryDto, AuditEventsQueryDto, DenialsQueryDto, VerifyQueryDto } from './dto/audit-query.dto';

/** Signs and checks ledger checkpoints; created from configuration on first use. */
export const LEDGER_SIGNER = Symbol('LEDGER_SIGNER');

type Cursor = { txid: string; position: string };
/** The largest cursor PostgreSQL can hold (largest xid8 and bigint). */
const LARGEST_CURSOR: Cursor = { txid: '18446744073709551615', position: '9223372036854775807' };
/** Entries per export query: large enough that the per-query cost vanishes, small enough to stay a few MiB. */
const EXPORT_BATCH = 2000;

const encodeCursor = (c: Cursor): string => Buffer.from(`${c.txid}:${c.position}`, 'utf8').toString('base64url');
const decodeCursor = (raw: string | undefined): Cursor => {
  if (raw === undefined) return { txid: '0', position: '0' };
  const match = /^(\d{1,20}):(\d{1,19})$/.exec(Buffer.from(raw, 'base64url').toString('utf8'));
  // Digits beyond the range of xid8 / bigint would reach PostgreSQL as an error, not as "no such cursor".
  if (!match || BigInt(match[1]!) > BigInt(LARGEST_CURSOR.txid) || BigInt(match[2]!) > BigInt(LARGEST_CURSOR.position)) {
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
    const sites = this.sitesOf(principal, filter);
    const params: unknown[] = [];
    // The read and its access rows (one per site it covers) in one statement: one round trip, and no
    // entry leaves without its record.
    const logged = AccessLog.insertCte(
      sites.map((siteId) => ({ actor: { id: principal.id, name: principal.name, role: principal.role, siteId }, action: 'read', resource: 'audit-events', courseId: filter.courseId ?? null, query: { ...filter, limit }, outcome: 'ok', correlationId })),
      params,
    );
    const query = entriesQuery(sites, filter, after, limit + 1, null, params);
    let rows: (JsonEntryRow & { txid: string; cursor_position: string })[];
    try {
      rows = (await this.db.query(
        `WITH ${logged}, ${query.ctes} SELECT e.txid, e.global_position::text AS cursor_position, ${entryColumns('json')} FROM page e ${ENTRY_JOINS} ORDER BY e.transaction_id, e.global_position`,
        params,
      )) as typeof rows;
    } catch {
      throw ApiError.unavailable('The audit log');
    }
    const more = rows.length > limit;
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      entries: page.map(toAuditEntry),
      nextCursor: more && last ? encodeCursor({ txid: last.txid, position: last.cursor_position }) : null,
    };
  }

  /**
   * Every matching entry as NDJSON or CSV text, in batches of EXPORT_BATCH entries read by keyset on the
   * filter's index, their values encoded by PostgreSQL (constant memory however long the log). The consumer is awaited
   * between batches, so a slow client slows the reads (backpressure). The export is a consistent cut:
   * the events committed before it started, so it ends even while events keep arriving.
   */
  async *stream(principal: Principal, filter: AuditEventsQueryDto, format: 'ndjson' | 'csv', correlationId: string): AsyncGenerator<string> {
    await this.requireSite(principal, filter, correlationId);
    await this.record(principal, { action: 'export', resource: 'audit-export', courseId: filter.courseId ?? null, query: { ...filter, format }, outcome: 'ok', correlationId }, this.sitesOf(principal, filter));
    const sites = this.sitesOf(principal, filter);
    const [{ horizon }] = (await this.db.query(`SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS horizon`)) as [{ horizon: string }];
    if (format === 'csv') yield CSV_HEADER;
    let after: Cursor = { txid: '0', position: '0' };
    for (;;) {
      const params: unknown[] = [];
      const query = entriesQuery(sites, filter, after, EXPORT_BATCH, horizon, params);
      const rows = (await this.db.query(
        `WITH ${query.ctes} SELECT e.txid, e.global_position::text AS cursor_position, ${entryColumns(format === 'csv' ? 'text' : 'json')}
           FROM page e ${ENTRY_JOINS} ORDER BY e.transaction_id, e.global_position`,
        params,
      )) as ((EntryRow | JsonEntryRow) & { txid: string; cursor_position: string })[];
      if (rows.length > 0) yield format === 'csv' ? (rows as EntryRow[]).map(csvLine).join('') : (rows as JsonEntryRow[]).map(entryLine).join('');
      if (rows.length < EXPORT_BATCH) return;
      const last = rows[rows.length - 1]!;
      after = { txid: last.txid, position: last.cursor_position };
    }
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
      `SELECT e.stream_id, e.site_id FROM es.events e WHERE e.event_id = $1 AND e.site_id = ANY($2::text[])`,
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

/**
 * The query of a page of entries (parameters appended to `params`): a CTE `page` of at most `limit`
 * matching events after `after`, per site an index range in the stable order (each filter has an index
 * led by the site; see migration AuditFilterColumns), merged across the caller's sites. `horizon`: the
 * export's fixed cut, or null for the xmin rule of the moment.
 */
const entriesQuery = (sites: string[], f: AuditEventsQueryDto, after: Cursor, limit: number, horizon: string | null, params: unknown[]) => {
  const p = (value: unknown, type: string): string => {
    params.push(value);
    return `$${params.length}::${type}`;
  };
  const where = [
    `(e.transaction_id, e.global_position) > (${p(after.txid, 'xid8')}, ${p(after.position, 'bigint')})`,
    `e.transaction_id < ${horizon === null ? 'pg_snapshot_xmin(pg_current_snapshot())' : p(horizon, 'xid8')}`,
  ];
  if (f.courseId !== undefined) where.push(`e.stream_id = ${p(`course-${f.courseId}`, 'text')}`);
  if (f.patientRef !== undefined) where.push(`e.patient_ref = ${p(f.patientRef, 'text')}`);
  if (f.actorId !== undefined) where.push(`e.actor_id = ${p(f.actorId, 'text')}`);
  if (f.role !== undefined) where.push(`e.actor_role = ${p(f.role, 'text')}`);
  if (f.eventType !== undefined) where.push(`e.event_type = ${p(f.eventType, 'text')}`);
  if (f.from !== undefined) where.push(`e.recorded_at >= ${p(f.from, 'timestamptz')}`);
  if (f.to !== undefined) where.push(`e.recorded_at < ${p(f.to, 'timestamptz')}`);
  const conditions = where.join(' AND ');
  const lim = p(limit, 'int');
  // A query per site, each stopping at `limit`, then merged: one index range each (an ANY over the
  // sites would read and sort every match of every site).
  const perSite = (sites.length > 0 ? sites : [null]).map(
    (site) =>
      `(SELECT e.*, e.transaction_id::text AS txid FROM es.events e WHERE e.site_id = ${p(site, 'text')} AND ${conditions}
         ORDER BY e.transaction_id, e.global_position LIMIT ${lim})`,
  );
  return { ctes: `page AS (SELECT * FROM (${perSite.join(' UNION ALL ')}) u ORDER BY u.transaction_id, u.global_position LIMIT ${lim})` };
};
