import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { ApiError, type ErrorBody } from '../errors/api-error';
import { DependencyHealth } from '../infrastructure/dependency-health';
import { DATA_SOURCE } from '../infrastructure/tokens';

const KEY_PATTERN = /^[A-Za-z0-9._:-]{8,128}$/;

/** A stable hash of a request body, independent of key order. */
export const requestHash = (body: unknown): string => {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : v && typeof v === 'object'
        ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]))
        : v;
  return createHash('sha256').update(JSON.stringify(sort(body) ?? null)).digest('hex');
};

/** A name-based id from a scope and a key: the same request always maps to the same resource. */
export const deterministicId = (scope: string, key: string): string => {
  const h = createHash('sha256').update(`${scope}\u0000${key}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

/**
 * The id a command runs under in Temporal (its Update id) and in the record (event metadata): derived
 * from the caller's scope and the command key, so the same key from another user or site is another
 * command, and never reveals the key itself.
 */
export const commandIdFor = (scope: string, key: string): string => `cmd-${createHash('sha256').update(`${scope}\u0000${key}`).digest('hex').slice(0, 32)}`;

export type CommandReceipt = {
  scope: string;
  key: string;
  commandId: string;
  courseId: string;
  /** The stored answer of a refused command; null while not known to be refused. */
  refusal: Omit<ErrorBody, 'correlationId'> | null;
  /** Whether this request created the receipt (false: a retry of an earlier request). */
  created: boolean;
};

type ReceiptRow = { command_id: string; course_id: string; request_hash: string; refusal: Omit<ErrorBody, 'correlationId'> | null };
/** A claim's answer: whether it inserted, and the receipt that was there before (all null if none). */
type ClaimRow = { site_id?: string | null; created: boolean } & { [K in keyof ReceiptRow]: ReceiptRow[K] | null };
type ClaimInput = { scope: string; key: string; commandId: string; courseId: string; body: unknown };

/**
 * Command receipts (`api.command_receipts`). The first request with a key records the command's id
 * and a hash of the request; a retry with the same body gets the same id (and so the same outcome);
 * a retry with another body is refused with 409.
 */
@Injectable()
export class CommandReceipts {
  constructor(
    @Inject(DATA_SOURCE) private readonly db: DataSource,
    private readonly health: DependencyHealth,
  ) {}

  validateKey(key: string | undefined): string | undefined {
    if (key === undefined) return undefined;
    if (!KEY_PATTERN.test(key)) {
      throw ApiError.badRequest(
        [{ field: 'Idempotency-Key', message: 'must be 8-128 characters of letters, digits, ".", "_", ":" or "-"' }],
        'The Idempotency-Key header is not valid.',
      );
    }
    return key;
  }

  async claim(input: ClaimInput): Promise<CommandReceipt> {
    const [row] = await this.claimRows(input, null);
    return this.receiptOf(input, row!);
  }

  /**
   * The course's site check and the claim in one statement: the receipt is written only when the
   * course's CourseStarted names one of `sites`. `siteId` is the course's site (null: no such
   * course); `receipt` is null when the course is not at one of `sites` (nothing was written).
   */
  async claimAtSite(input: ClaimInput, streamId: string, sites: string[]): Promise<{ siteId: string | null; receipt: CommandReceipt | null }> {
    const [row] = await this.claimRows(input, { streamId, sites });
    const siteId = row!.site_id ?? null;
    if (siteId === null || !sites.includes(siteId)) return { siteId, receipt: null };
    return { siteId, receipt: await this.receiptOf(input, row!) };
  }

  /**
   * INSERT ... ON CONFLICT DO NOTHING and the existing receipt in one round trip. The existing row is
   * read from the statement's snapshot, so one inserted concurrently by a parallel retry is not in it;
   * `receiptOf` reads it again then.
   */
  private async claimRows(input: ClaimInput, site: { streamId: string; sites: string[] } | null): Promise<ClaimRow[]> {
    const params: unknown[] = [input.scope, input.key, input.commandId, input.courseId, requestHash(input.body)];
    if (!site) {
      return (await this.query(
        `WITH inserted AS (
           INSERT INTO api.command_receipts (scope, command_key, command_id, course_id, request_hash) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (scope, command_key) DO NOTHING RETURNING command_id)
         SELECT EXISTS (SELECT 1 FROM inserted) AS created, r.command_id, r.course_id, r.request_hash, r.refusal
           FROM (SELECT 1) AS one LEFT JOIN api.command_receipts r ON r.scope = $1 AND r.command_key = $2`,
        params,
      )) as ClaimRow[];
    }
    return (await this.query(
      `WITH started AS (
         SELECT data ->> 'siteId' AS site_id FROM es.events WHERE stream_id = $6 AND stream_version = 1),
       inserted AS (
         INSERT INTO api.command_receipts (scope, command_key, command_id, course_id, request_hash)
         SELECT $1, $2, $3, $4, $5 FROM started WHERE started.site_id = ANY ($7::text[])
         ON CONFLICT (scope, command_key) DO NOTHING RETURNING command_id)
       SELECT (SELECT site_id FROM started) AS site_id, EXISTS (SELECT 1 FROM inserted) AS created,
              r.command_id, r.course_id, r.request_hash, r.refusal
         FROM (SELECT 1) AS one LEFT JOIN api.command_receipts r ON r.scope = $1 AND r.command_key = $2`,
      [...params, site.streamId, site.sites],
    )) as ClaimRow[];
  }

  private async receiptOf(input: ClaimInput, claimed: ClaimRow): Promise<CommandReceipt> {
    const base = { scope: input.scope, key: input.key };
    if (claimed.created) return { ...base, commandId: input.commandId, courseId: input.courseId, refusal: null, created: true };
    const row = claimed.command_id !== null ? (claimed as ReceiptRow) : await this.find(input.scope, input.key);
    if (!row || row.request_hash !== requestHash(input.body) || row.course_id !== input.courseId) {
      throw new ApiError({ statusCode: 409, code: 'IDEMPOTENCY_KEY_REUSED', message: 'This Idempotency-Key was already used for a different request.' });
    }
    return { ...base, commandId: row.command_id, courseId: row.course_id, refusal: row.refusal, created: false };
  }

  async get(scope: string, key: string): Promise<Omit<CommandReceipt, 'created'> | null> {
    const row = await this.find(scope, key);
    return row ? { scope, key, commandId: row.command_id, courseId: row.course_id, refusal: row.refusal } : null;
  }

  /** Keeps the refusal, so a retry is answered with it instead of being decided again. */
  async recordRefusal(scope: string, key: string, refusal: Omit<ErrorBody, 'correlationId'>): Promise<void> {
    await this.query(`UPDATE api.command_receipts SET refusal = $3, decided_at = now() WHERE scope = $1 AND command_key = $2 AND refusal IS NULL`, [
      scope,
      key,
      JSON.stringify(refusal),
    ]);
  }

  private async find(scope: string, key: string): Promise<ReceiptRow | undefined> {
    const rows = (await this.query('SELECT command_id, course_id, request_hash, refusal FROM api.command_receipts WHERE scope = $1 AND command_key = $2', [
      scope,
      key,
    ])) as ReceiptRow[];
    return rows[0];
  }

  /** Nothing has been sent anywhere yet when the receipt cannot be written: a 503 saying so is true. */
  private async query(sql: string, params: unknown[]): Promise<unknown> {
    try {
      return await this.db.query(sql, params);
    } catch (error) {
      if (error instanceof ApiError) throw error;
      this.health.reportDatabaseError(error);
      throw ApiError.unavailable('The clinical record store');
    }
  }
}
