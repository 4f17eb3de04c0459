import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { ApiError } from '../errors/api-error';
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
 * Idempotency-Key handling. The first use of a key records a hash of the request; a repeat with the
 * same body proceeds (and reaches the same resource), a repeat with another body is refused with 409.
 */
@Injectable()
export class IdempotencyService {
  constructor(@Inject(DATA_SOURCE) private readonly db: DataSource) {}

  validateKey(key: string | undefined): string | undefined {
    if (key === undefined) return undefined;
    if (!KEY_PATTERN.test(key)) {
      throw ApiError.badRequest([{ field: 'Idempotency-Key', message: 'must be 8-128 characters of letters, digits, ".", "_", ":" or "-"' }]);
    }
    return key;
  }

  async claim(scope: string, key: string, body: unknown, resourceId: string): Promise<void> {
    const hash = requestHash(body);
    await this.db.query(
      `INSERT INTO api.idempotency_keys (scope, key, request_hash, resource_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT (scope, key) DO NOTHING`,
      [scope, key, hash, resourceId],
    );
    const rows = (await this.db.query('SELECT request_hash, resource_id FROM api.idempotency_keys WHERE scope = $1 AND key = $2', [
      scope,
      key,
    ])) as { request_hash: string; resource_id: string }[];
    const row = rows[0];
    if (!row || row.request_hash !== hash || row.resource_id !== resourceId) {
      throw new ApiError({
        statusCode: 409,
        code: 'IDEMPOTENCY_KEY_REUSED',
        message: 'This Idempotency-Key was already used for a different request.',
      });
    }
  }
}
