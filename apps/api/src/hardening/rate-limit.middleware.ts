import type { NextFunction, Request, Response } from 'express';

type Bucket = { tokens: number; updatedAt: number };

/**
 * A token bucket per client address, in memory (per API instance): `perMinute` requests sustained,
 * the same number as burst. Over the limit the answer is 429 with `Retry-After`, in the error contract.
 * Runs before authentication, so a flood of bad tokens is throttled too (and fills no access log).
 */
export const rateLimit = (perMinute: number, clock: () => number = Date.now) => {
  const buckets = new Map<string, Bucket>();
  const ratePerMs = perMinute / 60_000;
  let lastSweep = clock();
  return (req: Request & { correlationId?: string }, res: Response, next: NextFunction): void => {
    const now = clock();
    // Forget idle clients now and then so the map stays small.
    if (now - lastSweep > 60_000) {
      for (const [key, b] of buckets) if (b.tokens + (now - b.updatedAt) * ratePerMs >= perMinute) buckets.delete(key);
      lastSweep = now;
    }
    const key = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    const bucket = buckets.get(key) ?? { tokens: perMinute, updatedAt: now };
    bucket.tokens = Math.min(perMinute, bucket.tokens + (now - bucket.updatedAt) * ratePerMs);
    bucket.updatedAt = now;
    buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      next();
      return;
    }
    const retryAfter = Math.max(1, Math.ceil((1 - bucket.tokens) / ratePerMs / 1000));
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
