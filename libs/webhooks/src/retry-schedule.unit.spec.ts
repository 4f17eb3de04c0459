import { maxRetrySpanMs, nextRetryDelayMs, parseRetryAfter, WEBHOOK_MAX_ATTEMPTS, WEBHOOK_RETRY_SCHEDULE_SECONDS } from './retry-schedule';

const HOUR = 3600;
const mid = (): number => 0.5; // no jitter

describe('WEBHOOK_RETRY_SCHEDULE_SECONDS', () => {
  it('is the Standard Webhooks schedule: now, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h', () => {
    expect(WEBHOOK_RETRY_SCHEDULE_SECONDS).toEqual([0, 5, 5 * 60, 30 * 60, 2 * HOUR, 5 * HOUR, 10 * HOUR, 14 * HOUR, 20 * HOUR, 24 * HOUR]);
    expect(WEBHOOK_MAX_ATTEMPTS).toBe(10);
    expect(Object.isFrozen(WEBHOOK_RETRY_SCHEDULE_SECONDS)).toBe(true);
  });

  it('spans about three days from the first attempt to the last', () => {
    const total = WEBHOOK_RETRY_SCHEDULE_SECONDS.reduce((a, b) => a + b, 0);
    expect(total).toBe(272_105);
    expect(total / 86_400).toBeGreaterThan(3);
    expect(total / 86_400).toBeLessThan(3.2);
    expect(maxRetrySpanMs()).toBe(2 * total * 1000);
  });
});

describe('nextRetryDelayMs', () => {
  it('without jitter returns the scheduled delay before the next attempt, then null after the 10th', () => {
    const delays = Array.from({ length: 9 }, (_, i) => nextRetryDelayMs(i + 1, { random: mid }));
    expect(delays).toEqual(WEBHOOK_RETRY_SCHEDULE_SECONDS.slice(1).map((s) => s * 1000));
    expect(nextRetryDelayMs(10, { random: mid })).toBeNull();
    expect(nextRetryDelayMs(11, { random: mid })).toBeNull();
  });

  it('jitters by +-20 %, within bounds for any draw', () => {
    expect(nextRetryDelayMs(1, { random: () => 0 })).toBe(4000);
    expect(nextRetryDelayMs(1, { random: () => 0.999999 })).toBe(6000);
    expect(nextRetryDelayMs(9, { random: () => 0 })).toBe(69_120_000);
    for (let attempt = 1; attempt <= 9; attempt++) {
      const scheduled = WEBHOOK_RETRY_SCHEDULE_SECONDS[attempt]! * 1000;
      const seen = new Set<number>();
      for (let i = 0; i < 200; i++) {
        const delay = nextRetryDelayMs(attempt)!;
        expect(delay).toBeGreaterThanOrEqual(0.8 * scheduled);
        expect(delay).toBeLessThanOrEqual(1.2 * scheduled);
        seen.add(delay);
      }
      expect(seen.size).toBeGreaterThan(1);
    }
    // A broken random source cannot push a delay outside the bounds.
    expect(nextRetryDelayMs(1, { random: () => 7 })).toBe(6000);
    expect(nextRetryDelayMs(1, { random: () => -1 })).toBe(4000);
  });

  it('Retry-After postpones up to 2x the scheduled delay but never brings a retry forward', () => {
    expect(nextRetryDelayMs(1, { random: mid, retryAfterSeconds: 8 })).toBe(8000);
    expect(nextRetryDelayMs(1, { random: mid, retryAfterSeconds: 3600 })).toBe(10_000);
    expect(nextRetryDelayMs(1, { random: mid, retryAfterSeconds: 2 })).toBe(5000);
    expect(nextRetryDelayMs(3, { random: () => 0, retryAfterSeconds: 120 })).toBe(1_440_000);
    expect(nextRetryDelayMs(3, { random: mid, retryAfterSeconds: 2 * HOUR })).toBe(3600 * 1000);
    for (const ignored of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(nextRetryDelayMs(2, { random: mid, retryAfterSeconds: ignored })).toBe(300_000);
    }
    expect(nextRetryDelayMs(10, { random: mid, retryAfterSeconds: 5 })).toBeNull();
  });

  it('takes a short custom schedule (fractional seconds) for tests', () => {
    const scheduleSeconds = [0, 0.05, 0.1];
    expect(nextRetryDelayMs(1, { random: mid, scheduleSeconds })).toBe(50);
    expect(nextRetryDelayMs(2, { random: mid, scheduleSeconds })).toBe(100);
    expect(nextRetryDelayMs(3, { random: mid, scheduleSeconds })).toBeNull();
    expect(maxRetrySpanMs(scheduleSeconds)).toBeCloseTo(300);
  });

  it('refuses nonsense attempts and schedules', () => {
    for (const attempt of [0, -1, 1.5, Number.NaN]) expect(() => nextRetryDelayMs(attempt)).toThrow(RangeError);
    expect(() => nextRetryDelayMs(1, { scheduleSeconds: [] })).toThrow(RangeError);
    expect(() => nextRetryDelayMs(1, { scheduleSeconds: [0, -1] })).toThrow(RangeError);
  });
});

describe('parseRetryAfter', () => {
  const now = new Date('2026-03-01T12:00:00Z');

  it('reads delta-seconds', () => {
    expect(parseRetryAfter('2', now)).toBe(2);
    expect(parseRetryAfter(' 120 ', now)).toBe(120);
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter(['30', '60'], now)).toBe(30);
  });

  it('reads HTTP-dates relative to now, in all three RFC 9110 forms, rounding up; past dates give 0', () => {
    expect(parseRetryAfter('Sun, 01 Mar 2026 12:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('Sunday, 01-Mar-26 12:01:00 GMT', now)).toBe(60);
    expect(parseRetryAfter('Sun Mar  1 12:02:00 2026', now)).toBe(120);
    expect(parseRetryAfter('Sun, 01 Mar 2026 12:00:00 GMT', new Date(now.getTime() - 500))).toBe(1);
    expect(parseRetryAfter('Sun, 01 Mar 2026 11:00:00 GMT', now)).toBe(0);
  });

  it('returns undefined for anything else', () => {
    for (const value of [undefined, null, '', '  ', 'soon', '-1', '1.5', '2s', '2026-03-01T12:00:30Z', 'Sun, 01 Mar 2026', 'Sun, 01 Mar 2026 12:00:30 PST', 'Foo, 99 Bar 2026 12:00:30 GMT', []]) {
      expect(parseRetryAfter(value, now)).toBeUndefined();
    }
  });

  it('feeds nextRetryDelayMs', () => {
    expect(nextRetryDelayMs(1, { random: mid, retryAfterSeconds: parseRetryAfter('9', now) })).toBe(9000);
    expect(nextRetryDelayMs(1, { random: mid, retryAfterSeconds: parseRetryAfter('garbage', now) })).toBe(5000);
  });
});
