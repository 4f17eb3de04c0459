import type { AuditEntry } from '@care/contracts';

export type { AuditEntry };

/*
 * The audit entry, built by PostgreSQL: the page of `GET /audit/events` parses it, the export streams
 * it (or its CSV line) as PostgreSQL wrote it, so the row work of a 100,000-line export stays in the
 * database. One definition serves both. The row alias is `e` (an es.events row, with the derived
 * audit columns), `c` the corrected event and `p.values` the value before this correction, if any.
 */

/** A JSON string value as text, anything else (number, object, absent) as NULL: TypeScript's `typeof v === 'string'`. */
const str = (json: string): string => `CASE WHEN jsonb_typeof(${json}) = 'string' THEN ${json} #>> '{}' END`;
const reason = `COALESCE(${str(`e.data -> 'reason'`)}, ${str(`e.data -> 'note'`)})`;
const utc = (ts: string): string => `to_char(${ts} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** For a correction: the corrected version and type, the old value (changes never obscure earlier values, §11.10(e)) and the new. */
export const CORRECTION_JSON = `CASE WHEN e.event_type = 'EventCorrected' THEN json_build_object(
    'correctedVersion', CASE WHEN jsonb_typeof(e.data -> 'eventVersion') = 'number' THEN e.data -> 'eventVersion' END,
    'correctedType', c.event_type,
    'oldValue', COALESCE(p.values, c.data),
    'newValue', e.data -> 'values',
    'reason', ${reason}) END`;

/** One entry as JSON text, in the key order of {@link AuditEntry}. `k.correction` is {@link CORRECTION_JSON}. */
export const ENTRY_JSON = `json_build_object(
    'position', e.global_position::text,
    'eventId', e.event_id::text,
    'courseId', CASE WHEN e.stream_id LIKE 'course-%' THEN substr(e.stream_id, 8) END,
    'streamVersion', e.stream_version,
    'siteId', e.site_id,
    'patientRef', e.patient_ref,
    'who', json_build_object('id', ${str(`e.metadata #> '{actor,id}'`)}, 'name', ${str(`e.metadata #> '{actor,name}'`)},
                             'role', ${str(`e.metadata #> '{actor,role}'`)}, 'siteId', ${str(`e.metadata #> '{actor,siteId}'`)}),
    'what', json_build_object('type', e.event_type, 'schemaVersion', e.schema_version, 'data', e.data),
    'when', json_build_object('recordedAt', ${utc('e.recorded_at')}, 'occurredAt', ${str(`e.metadata -> 'occurredAt'`)},
                              'clinicalTime', e.clinical_time, 'lateEntry', e.late_entry),
    'why', ${reason},
    'signature', e.data -> 'signature',
    'voidedSignature', e.data -> 'voidedSignature',
    'correction', k.correction,
    'correlationId', ${str(`e.metadata -> 'correlationId'`)},
    'hash', e.hash)`;

/**
 * A CSV cell of a text column of `v` (see {@link CSV_VALUES}): empty for null; a value a spreadsheet
 * would read as a formula gets a leading apostrophe; one that could split a cell is quoted.
 */
const cell = (v: string): string => {
  const defuse = `CASE WHEN left(${v}, 1) IN ('=', '+', '-', '@', E'\\t', E'\\r') THEN '''' ELSE '' END`;
  return `CASE WHEN ${v} IS NULL THEN '' WHEN ${v} ~ '[",\\n\\r]' THEN '"' || ${defuse} || replace(${v}, '"', '""') || '"' ELSE ${defuse} || ${v} END`;
};
/** A jsonb value as cell text: JSON null and absence are null, a string is its text, the rest its JSON. */
const jsonText = (json: string): string => `CASE jsonb_typeof(${json}) WHEN 'null' THEN NULL WHEN 'string' THEN ${json} #>> '{}' ELSE (${json})::text END`;

const CSV_COLUMNS: [column: string, text: string][] = [
  ['position', `e.global_position::text`],
  ['event_id', `e.event_id::text`],
  ['course_id', `CASE WHEN e.stream_id LIKE 'course-%' THEN substr(e.stream_id, 8) END`],
  ['stream_version', `e.stream_version::text`],
  ['site_id', 'e.site_id'],
  ['patient_ref', 'e.patient_ref'],
  ['recorded_at_utc', utc('e.recorded_at')],
  ['occurred_at', str(`e.metadata -> 'occurredAt'`)],
  ['event_type', 'e.event_type'],
  ['actor_id', str(`e.metadata #> '{actor,id}'`)],
  ['actor_name', str(`e.metadata #> '{actor,name}'`)],
  ['actor_role', str(`e.metadata #> '{actor,role}'`)],
  ['reason', reason],
  ['signature', jsonText(`e.data -> 'signature'`)],
  ['correction', 'k.correction::text'],
  ['data', 'e.data::text'],
  ['hash', 'e.hash'],
  ['clinical_time_utc', 'e.clinical_time'],
  ['late_entry', jsonText('e.late_entry')],
];

export const CSV_HEADER = `${CSV_COLUMNS.map(([column]) => column).join(',')}\n`;

/**
 * The text of every CSV column of a row, computed once each (`OFFSET 0` keeps PostgreSQL from
 * folding the subquery into the line, which would compute a value once per use in `cell`).
 */
export const CSV_VALUES = `CROSS JOIN LATERAL (SELECT ${CSV_COLUMNS.map(([column, text]) => `${text} AS ${column}`).join(', ')} OFFSET 0) v`;

/** One CSV line of `v`, newline included. */
export const CSV_LINE = `concat_ws(',', ${CSV_COLUMNS.map(([column]) => cell(`v.${column}`)).join(', ')}) || E'\\n'`;
