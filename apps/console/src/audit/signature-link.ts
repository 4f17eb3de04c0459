import canonicalize from 'canonicalize';
import type { Check } from './proof';

/*
 * Re-checks in the browser what GET /courses/:courseId/signatures says of a one-event signed step: the
 * SHA-256 of the RFC 8785 JSON of the record signed (the event's fields named in `signedFields`) must be
 * the manifestation's `recordHash`. A checklist's record spans several entries, and a signature made
 * before the fields were named may have covered either reading of its entry: only the service checks those.
 */
export const recomputeRecordHash = async (data: Record<string, unknown>, fields: string[]): Promise<string | null> => {
  if (typeof crypto === 'undefined' || !crypto.subtle) return null;
  const record = Object.fromEntries(fields.filter((f) => data[f] !== undefined).map((f) => [f, data[f]]));
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(canonicalize(record) ?? ''));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
};

export const checkRecordHash = async (data: Record<string, unknown>, signedFields: string[], recordHash: string | null): Promise<Check> => {
  if (recordHash === null) return 'failed';
  const recomputed = await recomputeRecordHash(data, signedFields);
  if (recomputed === null) return 'unavailable';
  return recomputed === recordHash ? 'passed' : 'failed';
};
