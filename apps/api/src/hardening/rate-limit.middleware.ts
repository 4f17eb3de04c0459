import { createHash } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { decodeJwt } from 'jose';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { DataSource } from 'typeorm';
import { setErrorCode } from '../metrics/api-metrics';

/** Per token subject (or address without a token), and per address. */
export type RateLimiters = { perClient: RateLimiterAbstract; perAddress: RateLimiterAbstract };

const WINDOW_SECONDS = 60;

/**
 * Limiters whose counters live in PostgreSQL (`api.rate_limits`), so every API instance behind a load
 * balancer draws on the same budget. A client over its budget is then refused from memory until its
 * window ends (no query per refused request). While PostgreSQL cannot be reached, each instance
 * limits on its own (in memory) rather than not at all. The key prefix carries the configured limit:
 * instances configured alike share counters, and one configured otherwise counts apart.
 */
export const sharedRateLimiters = (dataSource: DataSource, perMinute: number): RateLimiters => {
  const limiter = (name: string, points: number) =>
    new RateLimiterPostgres({
      storeClient: dataSource,
      storeType: 'typeorm',
      schemaName: 'api',
      tableName: 'rate_limits',
      tableCreated: true,
      keyPrefix: `${name}.${perMinute}`,
      points,
      duration: WINDOW_SECONDS,
      inMemoryBlockOnConsumed: points + 1,
      insuranceLimiter: new RateLimiterMemory({ points, duration: WINDOW_SECONDS }),
    });
  return { perClient: limiter('client', perMinute), perAddress: limiter('address', perMinute * 10) };
};

/** Limiters in this process only (unit tests). */
export const memoryRateLimiters = (perMinute: number): RateLimiters => ({
  perClient: new RateLimiterMemory({ points: perMinute, duration: WINDOW_SECONDS }),
  perAddress: new RateLimiterMemory({ points: perMinute * 10, duration: WINDOW_SECONDS }),
});

/** The token's subject, unverified: only a bucket key (authentication happens later, in the guard). */
const subjectOf = (req: Request): string | null => {
  const match = /^Bearer (\S{1,8192})$/.exec(req.headers.authorization ?? '');
  if (!match) return null;
  try {
    const sub = decodeJwt(match[1]!).sub;
    return typeof sub === 'string' && sub.length <= 256 ? sub : null;
  } catch {
    return null;
  }
};

/** Counters are keyed by a hash: no person's subject and no address is stored in clear. */
const keyOf = (value: string): string => createHash('sha256').update(value).digest('base64url').slice(0, 32);

/** Seconds until a refused client may try again; null when the request may pass. */
const refusal = async (limiter: RateLimiterAbstract, key: string): Promise<number | null> => {
  try {
    await limiter.consume(keyOf(key));
    return null;
  } catch (outcome) {
    if (outcome instanceof RateLimiterRes) return Math.max(1, Math.ceil(outcome.msBeforeNext / 1000));
    // Not a refusal: the store and its in-memory insurance both failed. Let the request pass; the
    // limit protects the service, it is not a reason to refuse clinical work.
    return null;
  }
};

/**
 * Per-client rate limits: `perMinute` requests per minute per token subject, or per address without
 * a token, so colleagues behind one clinic NAT do not share a budget; and ten times that per address,
 * so inventing subjects in forged tokens buys nothing. Over the limit: 429 with `Retry-After`, in the
 * error contract. Runs before authentication, so a flood of bad tokens is throttled too (and fills no
 * access log).
 */
export const rateLimit = (limiters: RateLimiters) => (req: Request & { correlationId?: string }, res: Response, next: NextFunction): void => {
  const address = req.ip ?? req.socket.remoteAddress ?? 'unknown';
  const subject = subjectOf(req);
  void (async () => {
    const retryAfter = (await refusal(limiters.perAddress, `ip:${address}`)) ?? (await refusal(limiters.perClient, subject ? `sub:${subject}` : `ip:${address}`));
    if (retryAfter === null) {
      next();
      return;
    }
    setErrorCode(res, 'RATE_LIMITED');
    res.setHeader('Retry-After', String(retryAfter));
    res.status(429).json({
      statusCode: 429,
      code: 'RATE_LIMITED',
      message: 'Too many requests; please slow down.',
      details: { retryAfterSeconds: retryAfter, retryable: true },
      correlationId: req.correlationId,
    });
  })().catch(next);
};
