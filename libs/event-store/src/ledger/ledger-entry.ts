import canonicalize from 'canonicalize';
import { canonicalJson } from '../hash-chain';
import { leafHash, leafHashOfText } from './merkle';

/** What a ledger leaf points at: an event (by global position) or a read-access row (by access id). */
export type LedgerSource = 'event' | 'access';

/** The columns of `audit.access_log` a leaf commits to. */
export type AccessRow = {
  access_id: string;
  accessed_at: Date;
  actor_id: string;
  actor_name: string;
  actor_role: string;
  actor_site: string;
  action: string;
  resource: string;
  course_id: string | null;
  query: Record<string, unknown>;
  outcome: string;
  correlation_id: string | null;
};

const canonicalBytes = (value: unknown): Buffer => {
  // The one-pass writer where it applies (plain data: the same text), else the library.
  const text = canonicalJson(value) ?? canonicalize(value);
  if (text === undefined) throw new Error('ledger entry is not serialisable to canonical JSON');
  return Buffer.from(text, 'utf8');
};

/**
 * Leaf of an event. It commits to the event's chain hash, which commits to its content and its
 * predecessor; the verifier separately recomputes that hash from the content.
 */
export const eventLeafHash = (globalPosition: string, streamId: string, streamVersion: number, hash: string): Buffer =>
  // Strings and a finite number: JSON.stringify writes exactly the canonical text (verification's hot path).
  typeof globalPosition === 'string' && typeof streamId === 'string' && typeof hash === 'string' && Number.isFinite(streamVersion)
    ? leafHashOfText(JSON.stringify(['event', globalPosition, streamId, streamVersion, hash]))
    : leafHash(canonicalBytes(['event', globalPosition, streamId, streamVersion, hash]));

/** Leaf of a read-access row: every column of it, in canonical JSON. */
export const accessLeafHash = (row: AccessRow): Buffer =>
  leafHash(
    canonicalBytes([
      'access',
      String(row.access_id),
      {
        accessedAt: row.accessed_at.toISOString(),
        actorId: row.actor_id,
        actorName: row.actor_name,
        actorRole: row.actor_role,
        actorSite: row.actor_site,
        action: row.action,
        resource: row.resource,
        courseId: row.course_id,
        query: JSON.parse(JSON.stringify(row.query ?? {})) as unknown,
        outcome: row.outcome,
        correlationId: row.correlation_id,
      },
    ]),
  );
