import type { NextFunction, Request, Response } from 'express';
import { decodeJwt } from 'jose';
import { setErrorCode } from '../metrics/api-metrics';

type Bucket = { tokens: number; updatedAt: number };

/** Token buckets by key, refilled continuously at `perMinute` per minute, holding at most `perMinute`. */
class Buckets {
  private readonly buckets = new Map<string, Bucket>();
  private lastSweep: number;

  constructor(private readonly perMinute: number, private readonly clock: () => number) {
    this.lastSweep = clock();
  }

  /** Takes one token; returns 0 when granted, else the seconds until one is available. */
  take(key: string): number {
    const now = this.clock();
    const rate = this.perMinute / 60_000;
    // Forget idle clients now and then so the map stays small.
    if (now - this.lastSweep > 60_000) {
      for (const [k, b] of this.buckets) if (b.tokens + (now - b.updatedAt) * rate >= this.perMinute) this.buckets.delete(k);
      this.lastSweep = now;
    }
    const bucket = this.buckets.get(key) ?? { tokens: this.perMinute, updatedAt: now };
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + (now - bucket.updatedAt) * rate);
    bucket.updatedAt = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / rate / 1000));
  }
}

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

/**
 * Per-client rate limits, in memory (per API instance): `perMinute` requests sustained (and as burst)
 * per token subject, or per address without a token, so colleagues behind one clinic NAT do not share a
 * budget; and ten times that per address, so inventing subjects in forged tokens buys nothing. Over the
 * limit: 429 with `Retry-After`, in the error contract. Runs before authentication, so a flood of bad
 * tokens is throttled too (and fills no access log).
 */
export const rateLimit = (perMinute: number, clock: () => number = Date.now) => {
  const perClient = new Buckets(perMinute, clock);
  const perAddress = new Buckets(perMinute * 10, clock);
  return (req: Request & { correlationId?: string }, res: Response, next: NextFunction): void => {
    const address = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    const subject = subjectOf(req);
    const retryAfter = perAddress.take(address) || perClient.take(subject ? `sub:${subject}` : `ip:${address}`);
    if (retryAfter === 0) {
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
  };
};
