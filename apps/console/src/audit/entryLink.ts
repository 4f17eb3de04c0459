import { query } from '../api/http';
import type { AuditEntry } from './types';

/*
 * Finding one entry. The API has no "one entry" route (GET /audit/events/:eventId/proof answers the
 * ledger proof, not the entry), so the detail page is addressed by event id and its link also carries
 * what selects the entry through GET /audit/events: the course, the event type and the recorded time.
 * The list hands the entry over in the router state (no second read); on a reload or a shared link the
 * page asks GET /audit/events with courseId + eventType + a 1 ms window [at, at + 1 ms) around the
 * recorded time (the API gives it to the millisecond; the store keeps microseconds, which fall inside),
 * then picks the event id. Events are immutable, so the handed-over entry cannot be stale.
 */

export type EntryState = { entry?: AuditEntry };

export const entryLink = (entry: AuditEntry) => ({
  pathname: `/audit/events/${encodeURIComponent(entry.eventId)}`,
  search: query({ courseId: entry.courseId, eventType: entry.what.type, at: entry.when.recordedAt }),
});

/** The GET /audit/events path that selects the entry the detail page's URL names, or null when the URL lacks the time. */
export const entryLookupPath = (params: URLSearchParams): string | null => {
  const at = new Date(params.get('at') ?? '');
  if (Number.isNaN(at.getTime())) return null;
  return `/audit/events${query({
    courseId: params.get('courseId'),
    eventType: params.get('eventType'),
    from: at.toISOString(),
    to: new Date(at.getTime() + 1).toISOString(),
    limit: 500,
  })}`;
};
