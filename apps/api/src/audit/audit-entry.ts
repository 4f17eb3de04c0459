import type { AuditEntry } from '@care/contracts';

export type { AuditEntry };

/*
 * An audit entry is built in two steps, defined once here for the page and the export: PostgreSQL
 * reads each value an entry shows as one text column (JSON values as their JSON text, never parsed
 * here: the events' data goes into the line as PostgreSQL wrote it), and the line builders below put
 * the columns together. That keeps a 100,000-line export close to COPY: no JSON parse, no object per
 * entry, no serialiser over the data. Row aliases: `e` an es.events row with its derived audit
 * columns, `c` the corrected event, `p.values` the value before this correction, if any.
 */

/** The text of a JSON string value, NULL for any other value: TypeScript's `typeof v === 'string'`. */
const str = (json: string): string => `CASE WHEN jsonb_typeof(${json}) = 'string' THEN ${json} #>> '{}' END`;
const reason = `COALESCE(${str(`e.data -> 'reason'`)}, ${str(`e.data -> 'note'`)})`;

/** For a correction: the corrected version and type, the old value (changes never obscure earlier values, §11.10(e)) and the new. */
const CORRECTION_JSON = `CASE WHEN e.event_type = 'EventCorrected' THEN json_build_object(
    'correctedVersion', CASE WHEN jsonb_typeof(e.data -> 'eventVersion') = 'number' THEN e.data -> 'eventVersion' END,
    'correctedType', c.event_type,
    'oldValue', COALESCE(p.values, c.data),
    'newValue', e.data -> 'values',
    'reason', ${reason})::text END`;

/** The columns of an entry row; `_json` columns hold JSON text (or NULL), the others plain text. */
export type EntryRow = {
  position: string;
  event_id: string;
  course_id: string | null;
  stream_version: string;
  site_id: string | null;
  patient_ref: string | null;
  actor_id: string | null;
  actor_name: string | null;
  actor_role: string | null;
  actor_site: string | null;
  event_type: string;
  schema_version: string;
  data_json: string;
  recorded_at: string;
  occurred_at: string | null;
  clinical_time: string | null;
  late_entry_json: string | null;
  why: string | null;
  signature_json: string | null;
  voided_signature_json: string | null;
  correction_json: string | null;
  correlation_id: string | null;
  hash: string;
};

/** The select list of an {@link EntryRow}. Metadata is the service's own (the actor from a verified token): text as stored. */
export const ENTRY_COLUMNS = `
  e.global_position::text AS position, e.event_id::text AS event_id,
  CASE WHEN e.stream_id LIKE 'course-%' THEN substr(e.stream_id, 8) END AS course_id, e.stream_version::text AS stream_version,
  e.site_id, e.patient_ref, e.actor_id, e.metadata #>> '{actor,name}' AS actor_name, e.actor_role, e.metadata #>> '{actor,siteId}' AS actor_site,
  e.event_type, e.schema_version::text AS schema_version, e.data::text AS data_json,
  to_char(e.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS recorded_at, e.metadata ->> 'occurredAt' AS occurred_at,
  e.clinical_time, e.late_entry::text AS late_entry_json, ${reason} AS why,
  (e.data -> 'signature')::text AS signature_json, (e.data -> 'voidedSignature')::text AS voided_signature_json,
  ${CORRECTION_JSON} AS correction_json, e.metadata ->> 'correlationId' AS correlation_id, e.hash`;

/** What the entry columns need beside the event row: the corrected event and the value before this correction. */
export const ENTRY_JOINS = `
  LEFT JOIN LATERAL (
       SELECT c0.event_type, c0.data FROM es.events c0
        WHERE e.event_type = 'EventCorrected' AND c0.stream_id = e.stream_id
          AND c0.stream_version = CASE WHEN e.data ->> 'eventVersion' ~ '^[0-9]{1,18}$' THEN (e.data ->> 'eventVersion')::bigint END) c ON true
  LEFT JOIN LATERAL (
       SELECT pc.data -> 'values' AS values FROM es.events pc
        WHERE e.event_type = 'EventCorrected' AND pc.stream_id = e.stream_id AND pc.event_type = 'EventCorrected'
          AND pc.stream_version < e.stream_version AND pc.data ->> 'eventVersion' = e.data ->> 'eventVersion'
        ORDER BY pc.stream_version DESC LIMIT 1) p ON true`;

const text = (v: string | null): string => (v === null ? 'null' : JSON.stringify(v));
const json = (v: string | null): string => v ?? 'null';
// Text PostgreSQL formatted from a bigint, a uuid or a timestamp: nothing in it needs escaping.
const plain = (v: string): string => `"${v}"`;

/** One entry as a JSON line (newline included), in the key order of {@link AuditEntry}. */
export const entryLine = (r: EntryRow): string =>
  `{"position":${plain(r.position)},"eventId":${plain(r.event_id)},"courseId":${text(r.course_id)},"streamVersion":${r.stream_version},` +
  `"siteId":${text(r.site_id)},"patientRef":${text(r.patient_ref)},` +
  `"who":{"id":${text(r.actor_id)},"name":${text(r.actor_name)},"role":${text(r.actor_role)},"siteId":${text(r.actor_site)}},` +
  `"what":{"type":${text(r.event_type)},"schemaVersion":${r.schema_version},"data":${r.data_json}},` +
  `"when":{"recordedAt":${plain(r.recorded_at)},"occurredAt":${text(r.occurred_at)},"clinicalTime":${text(r.clinical_time)},"lateEntry":${json(r.late_entry_json)}},` +
  `"why":${text(r.why)},"signature":${json(r.signature_json)},"voidedSignature":${json(r.voided_signature_json)},"correction":${json(r.correction_json)},` +
  `"correlationId":${text(r.correlation_id)},"hash":${text(r.hash)}}\n`;

export const toAuditEntry = (r: EntryRow): AuditEntry => JSON.parse(entryLine(r)) as AuditEntry;

/**
 * A CSV cell: empty for null; a value a spreadsheet would read as a formula gets a leading
 * apostrophe; one that could split a cell is quoted.
 */
const cell = (v: string | null): string => {
  if (v === null) return '';
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};
/** A JSON value as a cell: JSON null is empty, a string is its text, anything else its JSON. */
const jsonCell = (v: string | null): string => cell(v === null || v === 'null' ? null : v.startsWith('"') ? (JSON.parse(v) as string) : v);

const CSV_COLUMNS: [column: string, value: (r: EntryRow) => string][] = [
  ['position', (r) => r.position],
  ['event_id', (r) => r.event_id],
  ['course_id', (r) => cell(r.course_id)],
  ['stream_version', (r) => r.stream_version],
  ['site_id', (r) => cell(r.site_id)],
  ['patient_ref', (r) => cell(r.patient_ref)],
  ['recorded_at_utc', (r) => r.recorded_at],
  ['occurred_at', (r) => cell(r.occurred_at)],
  ['event_type', (r) => cell(r.event_type)],
  ['actor_id', (r) => cell(r.actor_id)],
  ['actor_name', (r) => cell(r.actor_name)],
  ['actor_role', (r) => cell(r.actor_role)],
  ['reason', (r) => cell(r.why)],
  ['signature', (r) => jsonCell(r.signature_json)],
  ['correction', (r) => jsonCell(r.correction_json)],
  ['data', (r) => cell(r.data_json)],
  ['hash', (r) => cell(r.hash)],
  ['clinical_time_utc', (r) => cell(r.clinical_time)],
  ['late_entry', (r) => jsonCell(r.late_entry_json)],
];

export const CSV_HEADER = `${CSV_COLUMNS.map(([column]) => column).join(',')}\n`;

/** One entry as a CSV line, newline included. */
export const csvLine = (r: EntryRow): string => `${CSV_COLUMNS.map(([, value]) => value(r)).join(',')}\n`;
