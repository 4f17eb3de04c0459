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
/** The same row with every text column as its JSON string (or NULL): ready to go into a JSON line as is. */
export type JsonEntryRow = { [K in keyof EntryRow]: string | null };

/** Each column's SQL, and whether it is text (else a number's digits, or JSON already). Metadata is the service's own: text as stored. */
const ENTRY_FIELDS: { [K in keyof EntryRow]: [sql: string, kind: 'text' | 'raw'] } = {
  position: ['e.global_position::text', 'text'],
  event_id: ['e.event_id::text', 'text'],
  course_id: [`CASE WHEN e.stream_id LIKE 'course-%' THEN substr(e.stream_id, 8) END`, 'text'],
  stream_version: ['e.stream_version::text', 'raw'],
  site_id: ['e.site_id', 'text'],
  patient_ref: ['e.patient_ref', 'text'],
  actor_id: ['e.actor_id', 'text'],
  actor_name: [`e.metadata #>> '{actor,name}'`, 'text'],
  actor_role: ['e.actor_role', 'text'],
  actor_site: [`e.metadata #>> '{actor,siteId}'`, 'text'],
  event_type: ['e.event_type', 'text'],
  schema_version: ['e.schema_version::text', 'raw'],
  data_json: ['e.data::text', 'raw'],
  recorded_at: [`to_char(e.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`, 'text'],
  occurred_at: [`e.metadata ->> 'occurredAt'`, 'text'],
  clinical_time: ['e.clinical_time', 'text'],
  late_entry_json: ['e.late_entry::text', 'raw'],
  why: [reason, 'text'],
  signature_json: [`(e.data -> 'signature')::text`, 'raw'],
  voided_signature_json: [`(e.data -> 'voidedSignature')::text`, 'raw'],
  correction_json: [CORRECTION_JSON, 'raw'],
  correlation_id: [`e.metadata ->> 'correlationId'`, 'text'],
  hash: ['e.hash', 'text'],
};

/**
 * The select list of an entry row: `text` gives an {@link EntryRow} (for CSV), `json` a
 * {@link JsonEntryRow}, PostgreSQL encoding each text value as a JSON string (for JSON lines, where
 * Node then only puts the pieces together).
 */
export const entryColumns = (encoding: 'text' | 'json'): string =>
  Object.entries(ENTRY_FIELDS)
    .map(([name, [sql, kind]]) => `${encoding === 'json' && kind === 'text' ? `to_json(${sql})::text` : sql} AS ${name}`)
    .join(',\n  ');

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

const json = (v: string | null): string => v ?? 'null';

/** One entry as a JSON line (newline included), in the key order of {@link AuditEntry}. */
export const entryLine = (r: JsonEntryRow): string =>
  `{"position":${json(r.position)},"eventId":${json(r.event_id)},"courseId":${json(r.course_id)},"streamVersion":${json(r.stream_version)},` +
  `"siteId":${json(r.site_id)},"patientRef":${json(r.patient_ref)},` +
  `"who":{"id":${json(r.actor_id)},"name":${json(r.actor_name)},"role":${json(r.actor_role)},"siteId":${json(r.actor_site)}},` +
  `"what":{"type":${json(r.event_type)},"schemaVersion":${json(r.schema_version)},"data":${json(r.data_json)}},` +
  `"when":{"recordedAt":${json(r.recorded_at)},"occurredAt":${json(r.occurred_at)},"clinicalTime":${json(r.clinical_time)},"lateEntry":${json(r.late_entry_json)}},` +
  `"why":${json(r.why)},"signature":${json(r.signature_json)},"voidedSignature":${json(r.voided_signature_json)},"correction":${json(r.correction_json)},` +
  `"correlationId":${json(r.correlation_id)},"hash":${json(r.hash)}}\n`;

export const toAuditEntry = (r: JsonEntryRow): AuditEntry => JSON.parse(entryLine(r)) as AuditEntry;

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
