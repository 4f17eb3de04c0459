import { query } from '../api/http';
import { fromLocalInput, toLocalInput } from '../ui/time';

/*
 * The filters of each audit page, described once: the form draws its inputs from them, and the page
 * builds the API's query string from the same list. The URL's search params hold the values exactly as
 * the API takes them (times in UTC ISO 8601), so a search can be bookmarked, shared and reloaded.
 * Only the names a route's DTO defines are ever sent: the API refuses unknown ones.
 */

export type FilterKind = 'text' | 'time' | 'site' | 'role' | 'limit';

export type FilterField = {
  /** The query parameter's name, in the URL and at the API. */
  name: string;
  label: string;
  kind: FilterKind;
  hint?: string;
  maxLength?: number;
  /** A site filter that may be left empty to mean "every site of my token". */
  anySite?: boolean;
};

export type FilterValues = Record<string, string>;

const localZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
const timeHint = (what: string) => `${what} In your local time (${localZone}); sent to the service in UTC.`;

const LIMIT: FilterField = { name: 'limit', label: 'Entries per page', kind: 'limit' };
export const PAGE_SIZES = ['25', '50', '100', '200', '500'];
export const DEFAULT_PAGE_SIZE = '100';

/** Filters of GET /audit/events and GET /audit/export (AuditEventsQuery in audit-query.dto.ts). */
export const EVENT_FILTERS: FilterField[] = [
  { name: 'siteId', label: 'Site', kind: 'site', anySite: true, hint: 'The site of the course. You can only see the sites your sign-in covers.' },
  { name: 'courseId', label: 'Course id', kind: 'text', maxLength: 128, hint: 'Exact course id, as shown on the course page.' },
  { name: 'patientRef', label: 'Patient reference', kind: 'text', maxLength: 128, hint: 'The patient reference given when the course started (exact match).' },
  { name: 'actorId', label: 'Person (user id)', kind: 'text', maxLength: 128, hint: 'The user id of whoever caused the event (exact match).' },
  { name: 'role', label: 'Role of the person', kind: 'role' },
  { name: 'eventType', label: 'Event type', kind: 'text', maxLength: 64, hint: 'Exact event type, letters only, for example DoseAdministered or EventCorrected.' },
  { name: 'from', label: 'Recorded from', kind: 'time', hint: timeHint('Entries recorded at or after this time.') },
  { name: 'to', label: 'Recorded before', kind: 'time', hint: timeHint('Entries recorded before this time (the time itself is not included).') },
];

/** GET /audit/events: the filters plus the page size (the cursor is kept apart, see CURSOR). */
export const EVENTS_PAGE_FILTERS: FilterField[] = [...EVENT_FILTERS, LIMIT];

/** GET /audit/access-log (AccessLogQueryDto): one site at a time, the first of the token's by default. */
export const ACCESS_LOG_FILTERS: FilterField[] = [
  { name: 'siteId', label: 'Site', kind: 'site', hint: 'The access log is listed one site at a time.' },
  { name: 'courseId', label: 'Course id', kind: 'text', maxLength: 128, hint: 'Only reads of this course (exact course id).' },
  { name: 'actorId', label: 'Person (user id)', kind: 'text', maxLength: 128, hint: 'Only what this user id read (exact match).' },
  { name: 'from', label: 'Accessed from', kind: 'time', hint: timeHint('Accesses at or after this time.') },
  { name: 'to', label: 'Accessed before', kind: 'time', hint: timeHint('Accesses before this time (the time itself is not included).') },
  LIMIT,
];

/** GET /audit/denials (DenialsQueryDto). */
export const DENIAL_FILTERS: FilterField[] = [{ name: 'from', label: 'Refused from', kind: 'time', hint: timeHint('Refusals at or after this time.') }, LIMIT];

/** The paging parameter: an opaque cursor from the previous answer, never part of the form. */
export const CURSOR = 'cursor';

/** The values of `fields` in the URL (absent ones left out). */
export const valuesOf = (fields: FilterField[], params: URLSearchParams): FilterValues => {
  const values: FilterValues = {};
  for (const f of fields) {
    const v = params.get(f.name);
    if (v) values[f.name] = v;
  }
  return values;
};

/** The API path for the URL's filters (plus `extra`, e.g. the cursor or the export format). */
export const apiPath = (path: string, fields: FilterField[], params: URLSearchParams, extra: Record<string, string | null | undefined> = {}): string =>
  `${path}${query({ ...valuesOf(fields, params), ...extra })}`;

/** URL search params from filter values, without the cursor: a new search starts on the first page. */
export const searchParamsOf = (values: FilterValues, keep: Record<string, string> = {}): URLSearchParams => {
  const entries = Object.entries({ ...keep, ...values }).filter(([, v]) => v !== '');
  return new URLSearchParams(entries);
};

/** What an input shows for a URL value: a UTC time becomes a `datetime-local` value in local time. */
export const toInputValue = (field: FilterField, value: string | undefined): string => {
  if (!value) return '';
  if (field.kind !== 'time') return value;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? '' : toLocalInput(date);
};

/** The URL value of an input, or an error sentence when it cannot be one. */
export const fromInputValue = (field: FilterField, input: string): { value: string } | { error: string } => {
  const trimmed = input.trim();
  if (field.kind === 'limit' && trimmed === DEFAULT_PAGE_SIZE) return { value: '' };
  if (field.kind !== 'time' || trimmed === '') return { value: trimmed };
  const iso = fromLocalInput(trimmed);
  return iso ? { value: iso } : { error: 'Enter a date and a time (hours and minutes), or leave it empty.' };
};
