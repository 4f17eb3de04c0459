import { clinicalTimeOfEvent, lateEntryOfEvent, type LateEntry } from '@care/protocol';

/**
 * What an event row carries beside its hashed content so that auditors' filters and the export are
 * index lookups: derived from the content, never hashed, and checked by the verifier. The site and the
 * patient reference come from the stream's first event (they never change); actor id and role are
 * generated columns of `es.events`; the clinical time and a late entry come from the protocol's rule.
 */
export type EventAuditColumns = { clinicalTime: string | null; lateEntry: LateEntry | null };

export const auditColumnsOf = (type: string, data: Record<string, unknown>, metadata: Record<string, unknown>): EventAuditColumns => {
  const occurredAt = typeof metadata['occurredAt'] === 'string' ? metadata['occurredAt'] : null;
  return { clinicalTime: clinicalTimeOfEvent(type, data, occurredAt), lateEntry: lateEntryOfEvent(type, data, occurredAt) };
};

/** The site and patient reference a stream's first event names (null for streams that are not courses). */
export const streamPartiesOf = (firstEventData: Record<string, unknown>): { siteId: string | null; patientRef: string | null } => ({
  siteId: typeof firstEventData['siteId'] === 'string' ? firstEventData['siteId'] : null,
  patientRef: typeof firstEventData['patientRef'] === 'string' ? firstEventData['patientRef'] : null,
});

/**
 * Whether a row's stored clinical time and late entry are what its content gives (the verifier's check:
 * these columns are not hashed, so a change to them would otherwise hide an event from a filter).
 */
export const auditColumnsMatch = (row: { event_type: string | null; data: unknown; metadata: unknown; clinical_time: string | null; late_entry: unknown }): boolean => {
  const expected = auditColumnsOf(row.event_type ?? '', (row.data ?? {}) as Record<string, unknown>, (row.metadata ?? {}) as Record<string, unknown>);
  const late = row.late_entry as { reason?: unknown; minutesAfter?: unknown } | null;
  const lateMatches =
    expected.lateEntry === null ? late === null : late !== null && late.reason === expected.lateEntry.reason && late.minutesAfter === expected.lateEntry.minutesAfter;
  return row.clinical_time === expected.clinicalTime && lateMatches && (late === null || Object.keys(late).length === 2);
};

/**
 * The first event (in the stable order) after ($1, $2) and up to ($3, $4) whose stored site or patient
 * reference is not its course's first event's; SQL.
 */
export const STRAY_AUDIT_COLUMNS_SQL = `
  SELECT e.global_position::text AS position FROM es.events e JOIN es.events s ON s.stream_id = e.stream_id AND s.stream_version = 1
   WHERE (e.site_id IS DISTINCT FROM CASE WHEN jsonb_typeof(s.data -> 'siteId') = 'string' THEN s.data ->> 'siteId' END
      OR e.patient_ref IS DISTINCT FROM CASE WHEN jsonb_typeof(s.data -> 'patientRef') = 'string' THEN s.data ->> 'patientRef' END)
     AND (e.transaction_id, e.global_position) > ($1::xid8, $2::bigint) AND (e.transaction_id, e.global_position) <= ($3::xid8, $4::bigint)
   ORDER BY e.transaction_id, e.global_position LIMIT 1`;
