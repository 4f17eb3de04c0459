/** Time arithmetic on ISO-8601 UTC strings. Pure: the only clock is the command's `metadata.now`. */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Minutes from `from` to `to` (negative if `to` is earlier). */
export const minutesBetween = (from: string, to: string): number => (Date.parse(to) - Date.parse(from)) / MINUTE;

/** Hours from `from` to `to` (negative if `to` is earlier). */
export const hoursBetween = (from: string, to: string): number => (Date.parse(to) - Date.parse(from)) / HOUR;

/** `iso` plus `minutes`, as an ISO-8601 UTC string. */
export const addMinutes = (iso: string, minutes: number): string => new Date(Date.parse(iso) + minutes * MINUTE).toISOString();

/** `iso` plus `hours`, as an ISO-8601 UTC string. */
export const addHours = (iso: string, hours: number): string => new Date(Date.parse(iso) + hours * HOUR).toISOString();

/** True when `a` is strictly before `b`. */
export const isBefore = (a: string, b: string): boolean => Date.parse(a) < Date.parse(b);
