import { clinicalTimeOfEvent, lateEntryOfEvent, type LateEntry } from '@care/protocol';
import type { EventRow } from '@care/event-store';

/** An event row joined with its course's first event and, for a correction, the value it replaced. */
export type AuditRow = Omit<EventRow, 'prev_hash'> & {
  txid: string;
  site_id: string | null;
  patient_ref: string | null;
  corrected_type: string | null;
  corrected_data: Record<string, unknown> | null;
  previous_values: Record<string, unknown> | null;
};

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

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export const toAuditEntry = (r: AuditRow): AuditEntry => {
  const actor = (r.metadata['actor'] ?? {}) as Record<string, unknown>;
  const isCorrection = r.event_type === 'EventCorrected';
  const reason = str(r.data['reason']) ?? str(r.data['note']);
  return {
    position: r.global_position,
    eventId: r.event_id,
    courseId: r.stream_id.startsWith('course-') ? r.stream_id.slice('course-'.length) : null,
    streamVersion: Number(r.stream_version),
    siteId: r.site_id,
    patientRef: r.patient_ref,
    who: { id: str(actor['id']), name: str(actor['name']), role: str(actor['role']), siteId: str(actor['siteId']) },
    what: { type: r.event_type, schemaVersion: r.schema_version, data: r.data },
    when: {
      recordedAt: r.recorded_at.toISOString(),
      occurredAt: str(r.metadata['occurredAt']),
      clinicalTime: clinicalTimeOfEvent(r.event_type, r.data, str(r.metadata['occurredAt'])),
      lateEntry: lateEntryOfEvent(r.event_type, r.data, str(r.metadata['occurredAt'])),
    },
    why: reason,
    signature: r.data['signature'] ?? null,
    voidedSignature: r.data['voidedSignature'] ?? null,
    correction: isCorrection
      ? {
          correctedVersion: Number(r.data['eventVersion']),
          correctedType: r.corrected_type,
          // Changes never obscure earlier values (§11.10(e)): the value before this correction is shown beside the new one.
          oldValue: r.previous_values ?? r.corrected_data,
          newValue: r.data['values'] ?? null,
          reason,
        }
      : null,
    correlationId: str(r.metadata['correlationId']),
    hash: r.hash,
  };
};

const CSV_COLUMNS = [
  'position', 'event_id', 'course_id', 'stream_version', 'site_id', 'patient_ref', 'recorded_at_utc', 'occurred_at', 'event_type',
  'actor_id', 'actor_name', 'actor_role', 'reason', 'signature', 'correction', 'data', 'hash', 'clinical_time_utc', 'late_entry',
];

const csvCell = (v: unknown): string => {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  // Quote everything that could split a cell, and defuse spreadsheet formulas.
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

export const CSV_HEADER = `${CSV_COLUMNS.join(',')}\n`;

export const toCsvLine = (e: AuditEntry): string =>
  `${[
    e.position, e.eventId, e.courseId, e.streamVersion, e.siteId, e.patientRef, e.when.recordedAt, e.when.occurredAt, e.what.type,
    e.who.id, e.who.name, e.who.role, e.why, e.signature, e.correction, e.what.data, e.hash, e.when.clinicalTime, e.when.lateEntry,
  ]
    .map(csvCell)
    .join(',')}\n`;
