import type { OutcomeField, ProtocolVersion, Step } from '../api/types';
import { labelOf, typeOf, type JsonSchema } from './json-schema';

/*
 * Turns a command's JSON Schema (with the step it is for and the protocol's instruments) into the fields
 * of a form, and the form's text values back into the command's data. No form is written per command.
 */

export type FieldKind = 'text' | 'textarea' | 'integer' | 'number' | 'boolean' | 'enum' | 'datetime' | 'json';

export type FieldSpec = {
  /** Where the value goes in `data`: `amountMg`, `values.total`, `criteria.age-18-or-over.outcome`. */
  path: string;
  label: string;
  hint?: string;
  kind: FieldKind;
  required: boolean;
  min?: number;
  max?: number;
  maxLength?: number;
  options?: readonly string[];
  /** A heading the field is grouped under (a criterion's text). */
  group?: string;
};

export type FormPlan = {
  /** Values the step already fixes (the visit, the criterion, the record it refers to), shown, not editable. */
  fixed: Record<string, unknown>;
  fields: FieldSpec[];
  /** The command's clinical-time field (performedAt, measuredAt, consentedAt, onsetAt) or null. */
  clinicalTime: { field: string; required: boolean } | null;
  /** Whether the command takes a late-entry reason. */
  lateEntry: boolean;
  /** RecordEligibilityCriteria: the criteria the one signed step records. */
  criterionIds: string[];
};

/** The step's identity, used to keep a draft across a sign-in. */
export const stepKeyOf = (step: Step): string => [step.command, step.sessionKey, step.criterionId, step.timepoint, step.instrument, step.ref].map((v) => v ?? '').join('|');

const HANDLED = new Set(['signature', 'lateEntryReason']);

const outcomeFieldSpec = (prefix: string, f: OutcomeField): FieldSpec => ({
  path: `${prefix}.${f.name}`,
  label: f.unit ? `${f.label} (${f.unit})` : f.label,
  kind: f.type === 'enum' ? 'enum' : f.type,
  required: f.required,
  ...(f.min !== undefined ? { min: f.min } : {}),
  ...(f.max !== undefined ? { max: f.max } : {}),
  ...(f.options ? { options: f.options } : {}),
  ...(f.min !== undefined || f.max !== undefined ? { hint: `From ${f.min ?? '…'} to ${f.max ?? '…'}${f.unit ? ` ${f.unit}` : ''}.` } : {}),
});

const schemaFieldSpec = (path: string, name: string, schema: JsonSchema, required: boolean): FieldSpec => {
  const type = typeOf(schema);
  const base = { path, label: labelOf(name, schema), required, ...(schema.description ? { hint: schema.description } : {}) };
  if (schema.enum) return { ...base, kind: 'enum', options: schema.enum.map(String) };
  if (type === 'boolean') return { ...base, kind: 'boolean' };
  if (type === 'integer' || type === 'number') {
    return { ...base, kind: type, ...(schema.minimum !== undefined ? { min: schema.minimum } : {}), ...(schema.maximum !== undefined ? { max: schema.maximum } : {}) };
  }
  if (type === 'string' && schema.format === 'date-time') return { ...base, kind: 'datetime' };
  if (type === 'string') return { ...base, kind: (schema.maxLength ?? 0) > 200 ? 'textarea' : 'text', ...(schema.maxLength ? { maxLength: schema.maxLength } : {}) };
  return { ...base, kind: 'json' };
};

/** The integer field that names the record a step refers to (holdRef, adverseEventRef, eventVersion). */
const refFieldOf = (data: JsonSchema): string | undefined =>
  Object.entries(data.properties ?? {}).find(([name, s]) => typeOf(s) === 'integer' && (/Ref$/.test(name) || name === 'eventVersion') && data.required?.includes(name))?.[0];

export const planForm = (command: string, data: JsonSchema, step: Step, protocol: ProtocolVersion): FormPlan => {
  const properties = data.properties ?? {};
  const required = new Set(data.required ?? []);
  const fixed: Record<string, unknown> = {};
  for (const key of ['sessionKey', 'criterionId', 'timepoint', 'instrument'] as const) if (step[key] !== undefined && key in properties) fixed[key] = step[key];
  const refField = refFieldOf(data);
  if (step.ref !== undefined && refField) fixed[refField] = step.ref;

  const clinicalField = protocol.clinicalTimeFields[command] ?? null;
  const clinicalTime = clinicalField && clinicalField in properties ? { field: clinicalField, required: required.has(clinicalField) } : null;
  const fields: FieldSpec[] = [];
  const criterionIds = step.criterionIds ?? [];

  for (const [name, schema] of Object.entries(properties)) {
    if (HANDLED.has(name) || name in fixed || name === clinicalField) continue;
    const type = typeOf(schema);
    if (name === 'values' && type === 'object') {
      const instrument = step.instrument ? protocol.instruments.find((i) => i.id === step.instrument) : undefined;
      const outcomeFields = instrument?.fields ?? (command === 'SubmitMonitoringForm' ? protocol.dosing?.monitoringForm?.fields : undefined);
      if (outcomeFields) {
        fields.push(...outcomeFields.map((f) => outcomeFieldSpec('values', f)));
        continue;
      }
    }
    if (type === 'array' && schema.items?.properties && criterionIds.length > 0) {
      // One row per criterion still to record: the checklist recorded as one step.
      const item = schema.items;
      for (const id of criterionIds) {
        const text = protocol.screening.criteria.find((c) => c.id === id);
        const group = text ? `${text.kind === 'exclusion' ? 'Exclusion' : 'Inclusion'}: ${text.text}` : id;
        for (const [itemName, itemSchema] of Object.entries(item.properties ?? {})) {
          if (itemName === 'criterionId') continue;
          fields.push({ ...schemaFieldSpec(`${name}.${id}.${itemName}`, itemName, itemSchema, item.required?.includes(itemName) ?? false), group });
        }
      }
      continue;
    }
    fields.push(schemaFieldSpec(name, name, schema, required.has(name)));
  }
  return { fixed, fields, clinicalTime, lateEntry: 'lateEntryReason' in properties, criterionIds };
};

export type FormValues = Record<string, string>;

const converted = (spec: FieldSpec, raw: string): unknown => {
  switch (spec.kind) {
    case 'integer':
    case 'number':
      return Number(raw);
    case 'boolean':
      return raw === 'true';
    case 'datetime':
      return new Date(raw).toISOString().replace(/\.\d{3}Z$/, 'Z');
    case 'json':
      try {
        return JSON.parse(raw);
      } catch {
        return raw;
      }
    default:
      return raw;
  }
};

/** The command's data from the form: fixed values, typed field values (empty optional ones left out). */
export const dataFromForm = (plan: FormPlan, values: FormValues): Record<string, unknown> => {
  const data: Record<string, unknown> = { ...plan.fixed };
  const rows = new Map<string, Record<string, unknown>>();
  for (const spec of plan.fields) {
    const raw = values[spec.path] ?? '';
    if (raw === '') continue;
    const value = converted(spec, raw);
    const parts = spec.path.split('.');
    if (parts.length === 3 && plan.criterionIds.includes(parts[1]!)) {
      const row = rows.get(parts[1]!) ?? { criterionId: parts[1]! };
      row[parts[2]!] = value;
      rows.set(parts[1]!, row);
    } else if (parts.length === 2) {
      data[parts[0]!] = { ...((data[parts[0]!] as Record<string, unknown>) ?? {}), [parts[1]!]: value };
    } else {
      data[spec.path] = value;
    }
  }
  if (plan.criterionIds.length > 0) {
    const arrayField = plan.fields.find((f) => f.path.split('.').length === 3)?.path.split('.')[0];
    if (arrayField) data[arrayField] = plan.criterionIds.map((id) => rows.get(id)).filter(Boolean);
  }
  return data;
};

/** A readable line per value, for the signature dialog ("what is being signed"). */
export const describeData = (plan: FormPlan, values: FormValues): { label: string; value: string }[] =>
  plan.fields
    .filter((f) => (values[f.path] ?? '') !== '')
    .map((f) => ({ label: f.group ? `${f.group} · ${f.label}` : f.label, value: f.kind === 'boolean' ? (values[f.path] === 'true' ? 'Yes' : 'No') : f.kind === 'datetime' ? new Date(values[f.path]!).toLocaleString() : values[f.path]! }));
