import { CSV_HEADER, csvLine, entryColumns, entryLine, toAuditEntry, type EntryRow, type JsonEntryRow } from './audit-entry';

const row = (over: Partial<EntryRow> = {}): EntryRow => ({
  position: '42',
  event_id: '6f1c2b0e-4a8d-4c1f-9e3b-7d5a2c8e0f13',
  course_id: 'c-1',
  stream_version: '3',
  site_id: 'site-a',
  patient_ref: 'P-"1"\n',
  actor_id: 'u-7',
  actor_name: 'Zoë "Z" Ødegaard',
  actor_role: 'therapist',
  actor_site: 'site-a',
  event_type: 'VitalsRecorded',
  schema_version: '2',
  data_json: '{"note": "=SUM(A1)", "systolic": 120}',
  recorded_at: '2026-03-01T10:00:00.000Z',
  occurred_at: '2026-03-01T10:00:00.000Z',
  clinical_time: '2026-03-01T09:00:00.000Z',
  late_entry_json: '{"reason": "paper form", "minutesAfter": 60}',
  why: '=SUM(A1)',
  signature_json: null,
  voided_signature_json: 'null',
  correction_json: null,
  correlation_id: null,
  hash: 'ab'.repeat(32),
  ...over,
});

/** What PostgreSQL hands back for the `json` select list: every text column as a JSON string. */
const RAW = new Set(['stream_version', 'schema_version', 'data_json', 'late_entry_json', 'signature_json', 'voided_signature_json', 'correction_json']);
const encoded = (r: EntryRow): JsonEntryRow =>
  Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null || RAW.has(k) ? v : JSON.stringify(v)])) as JsonEntryRow;

describe('audit entry lines', () => {
  it('encodes exactly the text columns as JSON in the json select list', () => {
    const json = entryColumns('json');
    for (const column of Object.keys(row())) {
      const line = json.split(',\n').find((l) => l.trim().endsWith(` AS ${column}`))!;
      expect(line.includes('to_json(')).toBe(!RAW.has(column));
    }
    expect(entryColumns('text')).not.toContain('to_json(');
  });

  it('builds one JSON line per entry, in the entry shape, whatever the text holds', () => {
    const line = entryLine(encoded(row()));
    expect(line.endsWith('}\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(toAuditEntry(encoded(row()))).toEqual({
      position: '42',
      eventId: '6f1c2b0e-4a8d-4c1f-9e3b-7d5a2c8e0f13',
      courseId: 'c-1',
      streamVersion: 3,
      siteId: 'site-a',
      patientRef: 'P-"1"\n',
      who: { id: 'u-7', name: 'Zoë "Z" Ødegaard', role: 'therapist', siteId: 'site-a' },
      what: { type: 'VitalsRecorded', schemaVersion: 2, data: { note: '=SUM(A1)', systolic: 120 } },
      when: { recordedAt: '2026-03-01T10:00:00.000Z', occurredAt: '2026-03-01T10:00:00.000Z', clinicalTime: '2026-03-01T09:00:00.000Z', lateEntry: { reason: 'paper form', minutesAfter: 60 } },
      why: '=SUM(A1)',
      signature: null,
      voidedSignature: null,
      correction: null,
      correlationId: null,
      hash: 'ab'.repeat(32),
    });
    expect(Object.keys(toAuditEntry(encoded(row())))).toEqual(['position', 'eventId', 'courseId', 'streamVersion', 'siteId', 'patientRef', 'who', 'what', 'when', 'why', 'signature', 'voidedSignature', 'correction', 'correlationId', 'hash']);
  });

  it('writes CSV cells that neither split nor run as formulas', () => {
    const cells = csvLine(row({ correction_json: '{"oldValue" : 1}' }));
    const columns = CSV_HEADER.trim().split(',');
    expect(columns).toHaveLength(19);
    expect(cells).toContain(`"P-""1""\n"`);
    expect(cells).toContain(`,'=SUM(A1),`);
    // JSON values: null and JSON null are empty cells, objects their JSON (quoted, as they hold commas and quotes).
    expect(cells).toContain(`,"{""oldValue"" : 1}",`);
    expect(cells.endsWith(`,2026-03-01T09:00:00.000Z,"{""reason"": ""paper form"", ""minutesAfter"": 60}"\n`)).toBe(true);
    expect(csvLine(row({ signature_json: '"text"' })).split(',')[13]).toBe('text');
  });
});
