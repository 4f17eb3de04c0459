import type { NextFunction, Request, Response } from 'express';
import { rateLimit } from './rate-limit.middleware';

const jwtFor = (sub: string) => `${Buffer.from('{"alg":"EdDSA"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub })).toString('base64url')}.sig`;

describe('rateLimit', () => {
  let now = 0;
  const call = (limiter: ReturnType<typeof rateLimit>, ip: string, sub?: string) => {
    const res = { status: 200, locals: {} as Record<string, unknown>, headers: {} as Record<string, string>, setHeader(k: string, v: string) { this.headers[k] = v; }, json() { return this; } };
    (res as unknown as { status: unknown }).status = function (this: { code: number }, code: number) { this.code = code; return this; };
    let passed = false;
    const req = { ip, headers: sub ? { authorization: `Bearer ${jwtFor(sub)}` } : {}, socket: {} } as unknown as Request;
    limiter(req, res as unknown as Response, (() => (passed = true)) as NextFunction);
    return { passed, retryAfter: res.headers['Retry-After'] };
  };

  it('gives each subject its own budget, refilled over time, with Retry-After when spent', () => {
    now = 0;
    const limiter = rateLimit(2, () => now);
    expect([call(limiter, '10.0.0.1', 'alice'), call(limiter, '10.0.0.1', 'alice')].every((r) => r.passed)).toBe(true);
    const refused = call(limiter, '10.0.0.1', 'alice');
    expect(refused).toEqual({ passed: false, retryAfter: '30' });
    expect(call(limiter, '10.0.0.1', 'bob').passed).toBe(true); // a colleague behind the same address
    now = 30_000;
    expect(call(limiter, '10.0.0.1', 'alice').passed).toBe(true);
  });

  it('caps one address at ten times the limit however many subjects it invents', () => {
    now = 0;
    const limiter = rateLimit(2, () => now);
    const results = Array.from({ length: 25 }, (_, i) => call(limiter, '10.0.0.9', `forged-${i}`).passed);
    expect(results.filter(Boolean)).toHaveLength(20);
  });
});
