import type { CourseCommand, CourseCommandType } from './command';

/** One reason a command body is malformed: the field's path and what was expected. */
export type FieldError = { field: string; message: string };

export type CommandInput = Omit<CourseCommand, 'metadata'>;
export type ParseResult = { ok: true; command: CommandInput } | { ok: false; errors: FieldError[] };

type FieldSpec =
  | { kind: 'string'; required: boolean; maxLength: number; pattern?: RegExp; patternHint?: string }
  | { kind: 'datetime'; required: boolean };

const text = (maxLength: number): FieldSpec => ({ kind: 'string', required: true, maxLength });
const identifier = (): FieldSpec => ({
  kind: 'string',
  required: true,
  maxLength: 64,
  pattern: /^[A-Za-z0-9][A-Za-z0-9._:-]*$/,
  patternHint: 'letters, digits, ".", "_", ":" or "-"',
});
const datetime = (): FieldSpec => ({ kind: 'datetime', required: true });

/** The shape of each command's `data`. The decider relies on these having been checked. */
const COMMAND_SCHEMAS: Record<CourseCommandType, Record<string, FieldSpec>> = {
  StartCourse: { courseId: identifier(), patientRef: identifier(), siteId: identifier(), protocolId: identifier() },
  RecordInformedConsent: { consentFormVersion: text(64), consentedAt: datetime() },
  RecordEmergencyContact: { contactRef: identifier() },
};

export const COMMAND_TYPES = Object.keys(COMMAND_SCHEMAS) as CourseCommandType[];

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?Z$/;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

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
  }
};

/**
 * Checks the shape of a command body (`{type, data}`) before it reaches the decider: unknown command,
 * unknown field, missing field or wrong type. Protocol rules are the decider's job, not this one's.
 */
export const parseCommandInput = (input: unknown, allowed: readonly CourseCommandType[] = COMMAND_TYPES): ParseResult => {
  if (!isRecord(input)) return { ok: false, errors: [{ field: '', message: 'must be a JSON object' }] };
  const { type, data } = input;
  if (typeof type !== 'string' || !allowed.includes(type as CourseCommandType)) {
    return { ok: false, errors: [{ field: 'type', message: `must be one of ${allowed.join(', ')}` }] };
  }
  const schema = COMMAND_SCHEMAS[type as CourseCommandType];
  if (!isRecord(data)) return { ok: false, errors: [{ field: 'data', message: 'must be a JSON object' }] };
  const errors: FieldError[] = [];
  for (const key of Object.keys(data)) {
    if (!(key in schema)) errors.push({ field: `data.${key}`, message: 'is not a field of this command' });
  }
  for (const [name, spec] of Object.entries(schema)) {
    const error = checkField(name, spec, data[name]);
    if (error) errors.push(error);
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, command: { type, data } as CommandInput };
};
