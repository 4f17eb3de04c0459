import { z } from 'zod';

/*
 * Field builders for the API's own request bodies and query strings (the protocol's commands have theirs in
 * @care/protocol). Messages name the field, as the API's 400 answers always have.
 */

const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

/** An identifier of 1 to `max` letters, digits, ".", "_", ":" or "-". */
export const identifierField = (name: string, max = 64) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? `${name} is required` : `${name} must be a string`) })
    .min(1, { error: `${name} must not be empty` })
    .max(max, { error: `${name} must be at most ${max} characters` })
    .regex(IDENTIFIER, { error: `${name} may contain only letters, digits, ".", "_", ":" or "-"` });

/** Text of `min` to `max` characters. */
export const textField = (name: string, min: number, max: number) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? `${name} is required` : `${name} must be a string`) })
    .min(min, { error: `${name} must be at least ${min} characters` })
    .max(max, { error: `${name} must be at most ${max} characters` });

/** A query value that must match `pattern`. */
export const patternQuery = (name: string, pattern: RegExp, description?: string) =>
  z
    .string()
    .regex(pattern, { error: `${name} is not valid` })
    .optional()
    .meta(description ? { description } : {});

/** The largest value of a PostgreSQL bigint: ids beyond it are not ids of this service. */
const BIGINT_MAX = 9223372036854775807n;

/** A row id (a bigint) given in a query string, e.g. a cursor that continues after an access-log row. */
export const rowIdQuery = (name: string, description?: string) =>
  z
    .string()
    .regex(/^\d{1,19}$/, { error: `${name} is not valid` })
    .refine((v) => BigInt(v) <= BIGINT_MAX, { error: `${name} is not valid` })
    .optional()
    .meta(description ? { description } : {});

/** Offsets real clocks use: UTC-12:00 to UTC+14:00 (PostgreSQL refuses some beyond, e.g. +16:35). */
const plausibleOffset = (value: string): boolean => {
  const offset = /([+-])(\d{2}):?(\d{2})$/.exec(value);
  if (!offset) return true;
  const minutes = Number(offset[2]) * 60 + Number(offset[3]);
  return offset[1] === '+' ? minutes <= 14 * 60 : minutes <= 12 * 60;
};

/** An ISO 8601 date-time with its offset (`Z` or `+01:00`). */
export const isoDateTime = (name: string) => {
  const message = `${name} must be an ISO 8601 date-time such as 2026-01-31T14:05:00Z`;
  return z.iso.datetime({ offset: true, error: message }).refine(plausibleOffset, { error: message });
};

/** An ISO 8601 date-time as a query value. */
export const dateTimeQuery = (name: string, description?: string) =>
  isoDateTime(name)
    .optional()
    .meta(description ? { description } : {});

/** A whole number from `min` to `max` given in a query string: digits only (no sign, exponent or fraction). */
export const wholeNumberQuery = (name: string, min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .regex(/^\d{1,16}$/, { error: `${name} must be a whole number from ${min} to ${max}` })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, { error: `${name} must be at least ${min}` })
        .max(max, { error: `${name} must be at most ${max}` }),
    )
    .optional();
