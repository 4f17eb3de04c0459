import type { LateEntry } from '@care/protocol';

/*
 * The answers of the HTTP API that its clients (the web console among them) read, declared once: the API
 * builds them, the console imports them as types.
 */

/**
 * One audit-trail entry: who (id, printed name, role, site), what (type and values; for a correction
 * the old and the new value), when (UTC), why (reason), and the signature manifestation when signed.
 */
export type AuditEntry = {
  position: string;
  eventId: string;
  courseId: string | null;
  streamVersion: number;
  siteId: string | null;
  patientRef: string | null;
  who: { id: string | null; name: string | null; role: string | null; siteId: string | null };
  what: { type: string; schemaVersion: number; data: Record<string, unknown> };
  /**
   * `recordedAt`: when the store wrote it; `occurredAt`: when it was entered (the command's time);
   * `clinicalTime`: when it happened, for a clinical step (null for an administrative one);
   * `lateEntry`: set when it was entered later than the protocol allows without a reason, with that reason.
   */
  when: { recordedAt: string; occurredAt: string | null; clinicalTime: string | null; lateEntry: LateEntry | null };
  why: string | null;
  signature: unknown;
  /** On a correction of a signed record: the signature this correction voided (Part 11 §11.70). */
  voidedSignature: unknown;
  correction: { correctedVersion: number; correctedType: string | null; oldValue: unknown; newValue: unknown; reason: string | null } | null;
  correlationId: string | null;
  hash: string;
};
