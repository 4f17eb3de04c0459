import {
  CAUSALITIES,
  DUE_NOTICES,
  SEVERITIES,
  VITALS_TIMINGS,
  WITHDRAWAL_REASONS,
  type CourseCommand,
  type CourseCommandType,
} from './command';
import { VITAL_FIELDS } from './rules/vitals';
import { findUnstorableText } from './text/storable-text';

/** One reason a command body is malformed: the field's path and what was expected. */
export type FieldError = { field: string; message: string };

export type CommandInput = Omit<CourseCommand, 'metadata'>;
export type ParseResult = { ok: true; command: CommandInput } | { ok: false; errors: FieldError[] };

/** The schema mini-language: what each `data` field must look like. Protocol-specific ranges are the decider's. */
type FieldSpec = { required: boolean } & (
  | { kind: 'string'; maxLength: number; pattern?: RegExp; patternHint?: string }
  | { kind: 'datetime' }
  | { kind: 'number'; min: number; max: number; integer: boolean; unit?: string }
  | { kind: 'boolean' }
  | { kind: 'enum'; options: readonly string[] }
  | { kind: 'values' }
  | { kind: 'signature' }
);

const text = (maxLength: number): FieldSpec => ({ kind: 'string', required: true, maxLength });
const identifier = (): FieldSpec => ({
  kind: 'string',
  required: true,
  maxLength: 64,
  pattern: /^[A-Za-z0-9][A-Za-z0-9._:-]*$/,
  patternHint: 'letters, digits, ".", "_", ":" or "-"',
});
const datetime = (): FieldSpec => ({ kind: 'datetime', required: true });
const bool = (): FieldSpec => ({ kind: 'boolean', required: true });
const oneOf = (options: readonly string[]): FieldSpec => ({ kind: 'enum', required: true, options });
const integer = (min: number, max: number, unit?: string): FieldSpec => ({ kind: 'number', required: true, min, max, integer: true, ...(unit ? { unit } : {}) });
const decimal = (min: number, max: number, unit?: string): FieldSpec => ({ kind: 'number', required: true, min, max, integer: false, ...(unit ? { unit } : {}) });
const values = (): FieldSpec => ({ kind: 'values', required: true });
const optional = (spec: FieldSpec): FieldSpec => ({ ...spec, required: false });
const signature = optional({ kind: 'signature', required: false });
/** The clinical time of a step and the reason it is entered late, if it is (see clinical-time.ts). */
const performedAt = optional(datetime());
const lateEntryReason = optional(text(500));
const timed = { performedAt, lateEntryReason };

const vital = (name: string): FieldSpec => {
  const f = VITAL_FIELDS.find((v) => v.name === name)!;
  return (f.type === 'integer' ? integer : decimal)(f.min!, f.max!, f.unit);
};

const sessionKey = identifier;
/** Amounts are checked against the protocol by the decider; this only keeps out nonsense. */
const doseMg = () => decimal(0.001, 10_000, 'mg');
const STREAM_VERSION = integer(1, Number.MAX_SAFE_INTEGER);

/** The shape of each command's `data`. The decider relies on these having been checked. */
const COMMAND_SCHEMAS: Record<CourseCommandType, Record<string, FieldSpec>> = {
  StartCourse: { courseId: identifier(), patientRef: identifier(), siteId: identifier(), protocolId: identifier(), ...timed },
  RecordInformedConsent: { consentFormVersion: text(64), consentedAt: datetime(), consentsToRecording: optional(bool()), lateEntryReason, signature },
  RecordEmergencyContact: { contactRef: identifier(), signature },
  RecordEligibilityCriterion: { criterionId: identifier(), outcome: oneOf(['pass', 'fail']), evidence: text(1000), ...timed, signature },
  RecordMedicalClearance: { cleared: bool(), evidence: text(1000), ...timed, signature },
  RecordMedicationWashout: { required: bool(), endsAt: optional(datetime()), signature },
  RecordPregnancyTest: { result: oneOf(['negative', 'positive', 'not_applicable']), ...timed, signature },
  DetermineEligibility: { eligible: bool(), reason: optional(text(1000)), ...timed, signature },
  RecordAssessment: { instrument: identifier(), timepoint: identifier(), values: values(), ...timed, signature },
  ScheduleSession: { sessionKey: sessionKey(), scheduledFor: datetime(), signature },
  StartSession: { sessionKey: sessionKey(), ...timed, signature },
  CompleteSession: { sessionKey: sessionKey(), ...timed, signature },
  MarkSessionMissed: { sessionKey: sessionKey(), reason: text(500), ...timed, signature },
  CancelSession: { sessionKey: sessionKey(), reason: text(500), ...timed, signature },
  RecordPreDoseChecks: { sessionKey: sessionKey(), fasting: bool(), pregnancyTest: oneOf(['negative', 'positive', 'not_applicable']), ...timed, signature },
  AdministerDose: { sessionKey: sessionKey(), amountMg: doseMg(), lotNumber: optional(text(64)), ...timed, signature },
  AdministerSupplementalDose: { sessionKey: sessionKey(), amountMg: doseMg(), lotNumber: optional(text(64)), ...timed, signature },
  WithholdSupplementalDose: { sessionKey: sessionKey(), reason: text(500), ...timed, signature },
  RecordVitals: {
    sessionKey: sessionKey(),
    timing: oneOf(VITALS_TIMINGS),
    systolic: vital('systolic'),
    diastolic: vital('diastolic'),
    heartRate: vital('heartRate'),
    temperatureC: optional(vital('temperatureC')),
    measuredAt: optional(datetime()),
    lateEntryReason,
    signature,
  },
  RaiseAlert: { sessionKey: optional(sessionKey()), reason: text(500), ...timed, signature },
  DischargePatient: { sessionKey: sessionKey(), criteriaMet: bool(), escortRef: optional(identifier()), overnightStay: optional(bool()), ...timed, signature },
  SubmitMonitoringForm: { sessionKey: sessionKey(), values: values(), signature },
  ReportAdverseEvent: { description: text(2000), onsetAt: datetime(), sessionKey: optional(sessionKey()), seriousSuspected: optional(bool()), signature },
  ClassifyAdverseEvent: {
    adverseEventRef: STREAM_VERSION,
    serious: bool(),
    aesiCategory: optional(identifier()),
    causality: oneOf(CAUSALITIES),
    severity: oneOf(SEVERITIES),
    signature,
  },
  PlaceSafetyHold: { reason: text(500), signature },
  ClearSafetyHold: { holdRef: STREAM_VERSION, reason: text(500), signature },
  WithdrawCourse: { reason: oneOf(WITHDRAWAL_REASONS), note: optional(text(1000)), ...timed, signature },
  CorrectEvent: { eventVersion: STREAM_VERSION, reason: text(1000), values: values(), signature },
  CompleteCourse: { signature },
  RecordDueDateNotice: { notice: oneOf(DUE_NOTICES), dueKey: text(400), dueAt: datetime() },
};

/** The free-text and identifier fields of each command (what a person or system types in). */
export const COMMAND_TEXT_FIELDS: Readonly<Record<CourseCommandType, readonly string[]>> = Object.fromEntries(
  Object.entries(COMMAND_SCHEMAS).map(([type, fields]) => [type, Object.keys(fields).filter((name) => fields[name]!.kind === 'string')]),
) as unknown as Record<CourseCommandType, readonly string[]>;

/** A JSON Schema (2020-12) of one command's `data`, from the same field specs the parser checks. */
export const commandDataJsonSchema = (type: CourseCommandType): Record<string, unknown> => {
  const fields = COMMAND_SCHEMAS[type];
  const property = (spec: FieldSpec): Record<string, unknown> => {
    switch (spec.kind) {
      case 'string':
        return { type: 'string', minLength: 1, maxLength: spec.maxLength, ...(spec.pattern ? { pattern: spec.pattern.source } : {}) };
      case 'datetime':
        return { type: 'string', format: 'date-time', description: 'UTC, e.g. 2026-01-31T14:05:00Z' };
      case 'number':
        return { type: spec.integer ? 'integer' : 'number', minimum: spec.min, maximum: spec.max, ...(spec.unit ? { description: `in ${spec.unit}` } : {}) };
      case 'boolean':
        return { type: 'boolean' };
      case 'enum':
        return { type: 'string', enum: [...spec.options] };
      case 'values':
        return { type: 'object', maxProperties: 100, additionalProperties: { type: ['string', 'number', 'boolean'] } };
      case 'signature':
        return { type: 'object', properties: { meaning: { type: 'string', maxLength: 64 } }, required: ['meaning'], additionalProperties: false };
    }
  };
  return {
    type: 'object',
    properties: Object.fromEntries(Object.entries(fields).map(([name, spec]) => [name, property(spec)])),
    required: Object.entries(fields)
      .filter(([, spec]) => spec.required)
      .map(([name]) => name),
    additionalProperties: false,
  };
};

/** Every command type, in the order above. */
export const COMMAND_TYPES = Object.keys(COMMAND_SCHEMAS) as CourseCommandType[];
/** Commands only the course workflow issues (role `system`); never accepted over HTTP. */
export const SYSTEM_COMMAND_TYPES: readonly CourseCommandType[] = ['RecordDueDateNotice'];

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?Z$/;
const VALUE_KEY = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const checkValues = (field: string, value: unknown): FieldError | null => {
  if (!isRecord(value)) return { field, message: 'must be a JSON object of values' };
  const entries = Object.entries(value);
  if (entries.length > 100) return { field, message: 'has too many values' };
  for (const [key, v] of entries) {
    if (!VALUE_KEY.test(key)) return { field: `${field}.${key}`, message: 'is not a valid value name' };
    const ok = typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v.length <= 1000);
    if (!ok) return { field: `${field}.${key}`, message: 'must be a number, a boolean or a text of at most 1000 characters' };
  }
  return null;
};

const checkField = (name: string, spec: FieldSpec, value: unknown): FieldError | null => {
  const field = `data.${name}`;
  if (value === undefined || value === null) {
    return spec.required ? { field, message: 'is required' } : null;
  }
  switch (spec.kind) {
    case 'string':
      if (typeof value !== 'string' || value.trim() === '') return { field, message: 'must be a non-empty string' };
      if (value.length > spec.maxLength) return { field, message: `must be at most ${spec.maxLength} characters` };
      if (spec.pattern && !spec.pattern.test(value)) return { field, message: `may contain only ${spec.patternHint}` };
      return null;
    case 'datetime':
      if (typeof value !== 'string' || !ISO_UTC.test(value) || Number.isNaN(Date.parse(value))) {
        return { field, message: 'must be a UTC date-time such as 2026-01-31T14:05:00Z' };
      }
      return null;
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return { field, message: 'must be a number' };
      if (spec.integer && !Number.isInteger(value)) return { field, message: 'must be a whole number' };
      const unit = spec.unit ? ` ${spec.unit}` : '';
      if (value < spec.min || value > spec.max) return { field, message: `must be between ${spec.min} and ${spec.max}${unit}` };
      return null;
    }
    case 'boolean':
      return typeof value === 'boolean' ? null : { field, message: 'must be true or false' };
    case 'enum':
      return typeof value === 'string' && spec.options.includes(value) ? null : { field, message: `must be one of ${spec.options.join(', ')}` };
    case 'values':
      return checkValues(field, value);
    case 'signature':
      if (!isRecord(value) || Object.keys(value).some((k) => k !== 'meaning')) return { field, message: 'must be an object with only "meaning"' };
      return typeof value['meaning'] === 'string' && value['meaning'].trim() !== '' && value['meaning'].length <= 64
        ? null
        : { field: `${field}.meaning`, message: 'must be a non-empty string' };
  }
};

/**
 * Checks the shape of a command body (`{type, data}`) before it reaches the decider: unknown command,
 * unknown field, missing field, wrong type or out-of-range value. Protocol rules are the decider's job.
 */
export const parseCommandInput = (input: unknown, allowed: readonly CourseCommandType[] = COMMAND_TYPES): ParseResult => {
  if (!isRecord(input)) return { ok: false, errors: [{ field: '', message: 'must be a JSON object' }] };
  const { type, data } = input;
  if (typeof type !== 'string' || !allowed.includes(type as CourseCommandType)) {
    return { ok: false, errors: [{ field: 'type', message: `must be one of ${allowed.join(', ')}` }] };
  }
  const schema = COMMAND_SCHEMAS[type as CourseCommandType];
  if (!isRecord(data)) return { ok: false, errors: [{ field: 'data', message: 'must be a JSON object' }] };
  // Text the store cannot keep would be accepted here and refused by PostgreSQL later, jamming the course.
  const unstorable = findUnstorableText(data, 'data');
  if (unstorable) return { ok: false, errors: [unstorable] };
  const errors: FieldError[] = [];
  for (const key of Object.keys(data)) {
    if (!Object.hasOwn(schema, key)) errors.push({ field: `data.${key}`, message: 'is not a field of this command' });
  }
  for (const [name, spec] of Object.entries(schema)) {
    const error = checkField(name, spec, data[name]);
    if (error) errors.push(error);
  }
  if (errors.length > 0) return { ok: false, errors };
  // Drop explicit nulls of optional fields so the decider sees them as absent.
  const cleaned = Object.fromEntries(Object.entries(data).filter(([, v]) => v !== null));
  return { ok: true, command: { type, data: cleaned } as CommandInput };
};
