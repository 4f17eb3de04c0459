import { CLINICAL_TIME_FIELDS, COMMAND_TYPES, commandExample, commandRequestJsonSchema, findProtocol, lateEntryAfterMinutes, parseCommandInput, SYSTEM_COMMAND_TYPES, type CourseCommandType } from '@care/protocol';
import type { ProtocolVersion, Step } from '../api/types';
import type { JsonSchema } from './json-schema';
import { dataFromForm, planForm, type FormValues } from './fields';

const HTTP_TYPES = COMMAND_TYPES.filter((t) => t !== 'StartCourse' && !SYSTEM_COMMAND_TYPES.includes(t));
const def = findProtocol('mdma-at-ptsd', 3)!;
const protocol = {
  ...def,
  lateEntryAfterMinutes: lateEntryAfterMinutes(def),
  clinicalTimeFields: Object.fromEntries(Object.keys(CLINICAL_TIME_FIELDS).map((c) => [c, CLINICAL_TIME_FIELDS[c as CourseCommandType]?.field ?? null])),
} as ProtocolVersion;

/** The step the protocol would list for the example (what the form fixes: visit, criterion, instrument, record). */
const stepFor = (type: CourseCommandType, example: Record<string, any>): Step => ({
  command: type,
  label: type,
  roles: [],
  signatureMeaning: null,
  ...(example['sessionKey'] !== undefined ? { sessionKey: example['sessionKey'] } : {}),
  ...(example['criterionId'] !== undefined ? { criterionId: example['criterionId'] } : {}),
  ...(example['timepoint'] !== undefined ? { timepoint: example['timepoint'] } : {}),
  ...(example['instrument'] !== undefined ? { instrument: example['instrument'] } : {}),
  ...(example['criteria'] ? { criterionIds: example['criteria'].map((c: { criterionId: string }) => c.criterionId) } : {}),
  ...((example['holdRef'] ?? example['adverseEventRef'] ?? example['eventVersion']) !== undefined ? { ref: example['holdRef'] ?? example['adverseEventRef'] ?? example['eventVersion'] } : {}),
});

/** What a person types: each field's value as the text an input holds. */
const typed = (plan: ReturnType<typeof planForm>, example: Record<string, any>): FormValues => {
  const values: FormValues = {};
  for (const f of plan.fields) {
    const parts = f.path.split('.');
    const value =
      parts.length === 3 ? example[parts[0]!].find((row: { criterionId: string }) => row.criterionId === parts[1])?.[parts[2]!] : parts.length === 2 ? example[parts[0]!]?.[parts[1]!] : example[f.path];
    if (value === undefined) continue;
    values[f.path] = f.kind === 'json' ? JSON.stringify(value) : String(value);
  }
  return values;
};

/*
 * The console builds every form from the command's JSON Schema (as /openapi.json serves it) and the
 * protocol, with no form written per command. For every command accepted over HTTP, the documented
 * example typed into its generated form gives back exactly the example's data, which the protocol's own
 * parser accepts.
 */
describe('forms generated from the command schemas', () => {
  it.each(HTTP_TYPES)('%s: the example typed into the form is the data the protocol parses', (type) => {
    const schema = (commandRequestJsonSchema(type) as { properties: { data: JsonSchema } }).properties.data;
    const example = commandExample(type) as Record<string, any>;
    const plan = planForm(type, schema, stepFor(type, example), protocol);
    const data = dataFromForm(plan, typed(plan, example));
    // The clinical time and the late-entry reason come from their own controls; the signature from the dialog.
    const clinical = plan.clinicalTime?.field;
    const expected = Object.fromEntries(Object.entries(example).filter(([k]) => k !== 'signature' && k !== 'lateEntryReason' && k !== clinical));
    expect(data).toEqual(expected);
    const withTimes = { ...data, ...(clinical && example[clinical] ? { [clinical]: example[clinical] } : {}), ...(example['signature'] ? { signature: example['signature'] } : {}) };
    expect(parseCommandInput({ type, data: withTimes })).toMatchObject({ ok: true });
  });

  it('asks for every required field of every command (none is silently left to the service)', () => {
    for (const type of HTTP_TYPES) {
      const schema = (commandRequestJsonSchema(type) as { properties: { data: JsonSchema } }).properties.data;
      const example = commandExample(type) as Record<string, any>;
      const plan = planForm(type, schema, stepFor(type, example), protocol);
      const covered = new Set([...Object.keys(plan.fixed), ...plan.fields.map((f) => f.path.split('.')[0]!), ...(plan.clinicalTime ? [plan.clinicalTime.field] : [])]);
      for (const required of schema.required ?? []) expect({ type, required, covered: covered.has(required) }).toEqual({ type, required, covered: true });
    }
  });

  it('labels a field from its description, with its unit', () => {
    const schema = (commandRequestJsonSchema('RecordVitals') as { properties: { data: JsonSchema } }).properties.data;
    const plan = planForm('RecordVitals', schema, stepFor('RecordVitals', { sessionKey: 'dosing-1' }), protocol);
    expect(plan.fields.find((f) => f.path === 'systolic')).toMatchObject({ label: 'Systolic blood pressure, in mmHg', kind: 'integer', min: 40, max: 300, required: true });
    expect(plan.fields.find((f) => f.path === 'timing')).toMatchObject({ kind: 'enum', options: ['pre_dose', 'post_dose', 'discharge', 'other'] });
    expect(plan.clinicalTime).toEqual({ field: 'measuredAt', required: false });
    expect(plan.fixed).toEqual({ sessionKey: 'dosing-1' });
  });
});
