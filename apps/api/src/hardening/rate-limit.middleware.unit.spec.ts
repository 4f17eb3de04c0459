import type { NextFunction, Request, Response } from 'express';
import { memoryRateLimiters, rateLimit } from './rate-limit.middleware';

const jwtFor = (sub: string) => `${Buffer.from('{"alg":"EdDSA"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub })).toString('base64url')}.sig`;

describe('rateLimit', () => {
  afterEach(() => jest.useRealTimers());

  /** One request through the middleware: whether it passed, and the Retry-After it got. */
  const call = async (limiter: ReturnType<typeof rateLimit>, ip: string, sub?: string) => {
    const res = { code: 200, locals: {} as Record<string, unknown>, headers: {} as Record<string, string>, setHeader(k: string, v: string) { this.headers[k] = v; }, status(code: number) { this.code = code; return this; }, json() { return this; } };
    const req = { ip, headers: sub ? { authorization: `Bearer ${jwtFor(sub)}` } : {}, socket: {} } as unknown as Request;
    return new Promise<{ passed: boolean; status: number; retryAfter?: string; code?: unknown }>((resolve) => {
      const json = res.json.bind(res);
      res.json = () => {
        resolve({ passed: false, status: res.code, retryAfter: res.headers['Retry-After'], code: res.locals['errorCode'] });
        return json();
      };
      limiter(req, res as unknown as Response, (() => resolve({ passed: true, status: 200 })) as NextFunction);
    });
  };

  it('gives each subject its own budget for the minute, with 429 and Retry-After when spent', async () => {
    jest.useFakeTimers({ now: 0, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const limiter = rateLimit(memoryRateLimiters(2));
    expect((await call(limiter, '10.0.0.1', 'alice')).passed).toBe(true);
    expect((await call(limiter, '10.0.0.1', 'alice')).passed).toBe(true);
    const refused = await call(limiter, '10.0.0.1', 'alice');
    expect(refused).toEqual({ passed: false, status: 429, retryAfter: '60', code: 'RATE_LIMITED' });
    expect((await call(limiter, '10.0.0.1', 'bob')).passed).toBe(true); // a colleague behind the same address
    jest.advanceTimersByTime(60_001);
    expect((await call(limiter, '10.0.0.1', 'alice')).passed).toBe(true);
  });

  it('caps one address at ten times the limit however many subjects it invents', async () => {
    const limiter = rateLimit(memoryRateLimiters(2));
    const results: boolean[] = [];
    for (let i = 0; i < 25; i++) results.push((await call(limiter, '10.0.0.9', `forged-${i}`)).passed);
    expect(results.filter(Boolean)).toHaveLength(20);
  });

  it('keys requests without a token by address', async () => {
    const limiter = rateLimit(memoryRateLimiters(1));
    expect((await call(limiter, '10.0.0.5')).passed).toBe(true);
    expect((await call(limiter, '10.0.0.5')).status).toBe(429);
    expect((await call(limiter, '10.0.0.6')).passed).toBe(true);
  });
});
