/*
 * The answers of the auditors' API, as the API declares them (type-only imports: the console bundles no
 * server code).
 */
import type { AuditEntry } from '@care/contracts';
import type { AccessRecord, InclusionProof, LedgerMismatch, LedgerVerification } from '@care/event-store';
import type { LateEntry, SignatureManifestation } from '@care/protocol';

export type { AccessRecord, AuditEntry, InclusionProof, LateEntry, LedgerMismatch, LedgerVerification, SignatureManifestation };
export type LedgerMismatchReason = LedgerMismatch['reason'];

export type Page<T> = { entries: T[]; nextCursor: string | null };

export type Denial = {
  accessId: string;
  at: string;
  actor: { id: string; role: string; siteId: string };
  action: string;
  resource: string;
  courseId: string | null;
  reason: string | null;
  correlationId: string | null;
};
