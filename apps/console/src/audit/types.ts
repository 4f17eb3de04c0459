/*
 * The answers of the auditors' API, as the API sends them (apps/api/src/audit: audit-entry.ts,
 * audit.service.ts; libs/event-store: ledger-verifier.ts, access-log.ts). Kept here, not imported,
 * because the console bundles none of the server's libraries.
 */

/** Part 11 §11.50 manifestation, as stored in a signed event's data. Read defensively: the entry types it `unknown`. */
export type SignatureManifestation = { signerId: string; printedName: string; signedAt: string; meaning: string; recordHash?: string };

export type LateEntry = { reason: string; minutesAfter: number };

export type AuditEntry = {
  position: string;
  eventId: string;
  courseId: string | null;
  streamVersion: number;
  siteId: string | null;
  patientRef: string | null;
  who: { id: string | null; name: string | null; role: string | null; siteId: string | null };
  what: { type: string; schemaVersion: number; data: Record<string, unknown> };
  when: { recordedAt: string; occurredAt: string | null; clinicalTime: string | null; lateEntry: LateEntry | null };
  why: string | null;
  signature: unknown;
  voidedSignature: unknown;
  correction: { correctedVersion: number; correctedType: string | null; oldValue: unknown; newValue: unknown; reason: string | null } | null;
  correlationId: string | null;
  hash: string;
};

export type Page<T> = { entries: T[]; nextCursor: string | null };

export type LedgerMismatchReason =
  | 'entry missing'
  | 'content changed'
  | 'hash changed'
  | 'entry moved'
  | 'version missing'
  | 'broken link'
  | 'not in ledger'
  | 'leaf changed'
  | 'root mismatch'
  | 'bad signature'
  | 'leaves without checkpoint';

export type LedgerMismatch = { leafIndex: number | null; source: 'event' | 'access' | 'checkpoint'; position: string; reason: LedgerMismatchReason };

export type LedgerVerification = {
  ok: boolean;
  checkedEntries: number;
  pendingEvents: number;
  checkpoints: number;
  treeSize: number;
  rootHash: string | null;
  firstMismatch: LedgerMismatch | null;
};

export type InclusionProof = {
  eventId: string;
  globalPosition: string;
  leafIndex: number;
  leafHash: string;
  treeSize: number;
  rootHash: string;
  auditPath: string[];
  checkpoint: { signedNote: string; signature: string; keyId: string; publicKey: string };
};

export type AccessRecord = {
  accessId: string;
  accessedAt: string;
  actor: { id: string; name: string; role: string; siteId: string };
  action: string;
  resource: string;
  courseId: string | null;
  query: Record<string, unknown> | null;
  outcome: 'ok' | 'not_found' | 'denied';
  correlationId: string | null;
};

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
