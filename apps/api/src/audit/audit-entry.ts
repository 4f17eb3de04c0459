import type { AuditEntry } from '@care/contracts';
import { clinicalTimeOfEvent, lateEntryOfEvent } from '@care/protocol';
import type { EventRow } from '@care/event-store';

export type { AuditEntry };

/** An event row joined with its course's first event and, for a correction, the value it replaced. */
export type AuditRow = Omit<EventRow, 'prev_hash'> & {
  txid: string;
  site_id: string | null;
  patient_ref: string | null;
  corrected_type: string | null;
  corrected_data: Record<string, unknown> | null;
  previous_values: Record<string, unknown> | null;
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
