/**
 * Standard Webhooks retry schedule: entry `i` is the wait in seconds before attempt `i + 1`. Attempt 1
 * goes out at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h: 10 attempts over
 * about 3.1 days. Its length is the attempt budget (Temporal's `maximumAttempts`).
 */
export const WEBHOOK_RETRY_SCHEDULE_SECONDS: readonly number[] = Object.freeze([0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]);

export const WEBHOOK_MAX_ATTEMPTS = WEBHOOK_RETRY_SCHEDULE_SECONDS.length;

/** Each delay is spread +-20 % so endpoints recovering from an outage are not hit by a synchronised wave. */
export const RETRY_JITTER = 0.2;

/** A `Retry-After` can postpone a retry to at most this multiple of the scheduled delay. */
export const RETRY_AFTER_MAX_FACTOR = 2;

export interface RetryDelayOptions {
  /** Uniform in [0, 1); defaults to Math.random. Inject for deterministic tests or workflows. */
  random?: () => number;
  /** The endpoint's `Retry-After` on the failed attempt, in seconds (see parseRetryAfter). */
  retryAfterSeconds?: number;
  /** Same shape as WEBHOOK_RETRY_SCHEDULE_SECONDS (seconds, fractions allowed); a short one for tests. */
  scheduleSeconds?: readonly number[];
}

/**
 * Delay in ms before the attempt after `attempt` (1-based number of the attempt that just failed),
 * with jitter, or null when the attempts are exhausted.
 *
 * `Retry-After` can postpone the retry, clamped to [jittered scheduled delay, 2x scheduled delay],
 * but never bring it forward: honouring "Retry-After: 1" from a proxy during a short outage would
 * spend the 3-day budget in seconds and get a healthy endpoint disabled. The upper clamp stops an
 * endpoint from parking a message for days (and past the activity's schedule-to-close timeout).
 */
export const nextRetryDelayMs = (attempt: number, options: RetryDelayOptions = {}): number | null => {
  const schedule = options.scheduleSeconds ?? WEBHOOK_RETRY_SCHEDULE_SECONDS;
  assertSchedule(schedule);
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be an integer >= 1, got ${attempt}`);
  if (attempt >= schedule.length) return null;

  const scheduledMs = schedule[attempt]! * 1000;
  const draw = Math.min(Math.max((options.random ?? Math.random)(), 0), 1);
  const jittered = Math.round(scheduledMs * (1 - RETRY_JITTER + 2 * RETRY_JITTER * draw));
  const retryAfter = options.retryAfterSeconds;
  if (retryAfter === undefined || !Number.isFinite(retryAfter) || retryAfter <= 0) return jittered;
  return Math.round(Math.min(Math.max(jittered, retryAfter * 1000), RETRY_AFTER_MAX_FACTOR * scheduledMs));
};

/**
 * The longest time from the first attempt to the last (every delay postponed to its maximum), to size
 * a Temporal `scheduleToCloseTimeout` (add the attempts' own timeouts).
 */
export const maxRetrySpanMs = (scheduleSeconds: readonly number[] = WEBHOOK_RETRY_SCHEDULE_SECONDS): number => {
  assertSchedule(scheduleSeconds);
  return scheduleSeconds.slice(1).reduce((sum, seconds) => sum + RETRY_AFTER_MAX_FACTOR * seconds * 1000, 0);
};

const assertSchedule = (schedule: readonly number[]): void => {
  if (schedule.length === 0 || schedule.some((s) => !Number.isFinite(s) || s < 0)) {
    throw new RangeError('a retry schedule is a non-empty list of non-negative seconds');
  }
};

const IMF_FIXDATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const RFC850_DATE = /^[A-Z][a-z]+, \d{2}-[A-Z][a-z]{2}-\d{2} \d{2}:\d{2}:\d{2} GMT$/;
const ASCTIME_DATE = /^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;

/**
 * `Retry-After` (RFC 9110 10.2.3) as whole seconds from `now`: delta-seconds or an HTTP-date (the
 * IMF-fixdate senders must use, plus the two obsolete forms). A date in the past gives 0. Anything
 * else gives undefined: `Date.parse` alone is too lenient (it reads "2" as the year 2001), and
 * asctime has no zone, so it is read as GMT explicitly rather than in the local time zone.
 */
export const parseRetryAfter = (value: string | readonly string[] | null | undefined, now: Date = new Date()): number | undefined => {
  const text = (typeof value === 'string' ? value : value?.[0])?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text);
  let time: number;
  if (IMF_FIXDATE.test(text) || RFC850_DATE.test(text)) time = Date.parse(text);
  else if (ASCTIME_DATE.test(text)) time = Date.parse(`${text} GMT`);
  else return undefined;
  if (Number.isNaN(time)) return undefined;
  return Math.max(0, Math.ceil((time - now.getTime()) / 1000));
};
