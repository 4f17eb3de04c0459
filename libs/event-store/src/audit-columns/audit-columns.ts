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
