import { z } from 'zod';
import type { CourseCommand, CourseCommandType } from './command';
import { COMMAND_DATA_SCHEMAS } from './areas/command-schemas';
import { findUnstorableText } from './text/storable-text';

/** One reason a command body is malformed: the field's path and what was expected. */
export type FieldError = { field: string; message: string };

export type CommandInput = Omit<CourseCommand, 'metadata'>;
export type ParseResult = { ok: true; command: CommandInput } | { ok: false; errors: FieldError[] };

export { COMMAND_DATA_SCHEMAS } from './areas/command-schemas';

/** Every command type, in the order of COMMAND_DATA_SCHEMAS. */
export const COMMAND_TYPES = Object.keys(COMMAND_DATA_SCHEMAS) as CourseCommandType[];
/** Commands only the course workflow issues (role `system`); never accepted over HTTP. */
export const SYSTEM_COMMAND_TYPES: readonly CourseCommandType[] = ['RecordDueDateNotice'];

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The schema inside `.optional()` (and any other wrapper with an inner type). */
const unwrapped = (schema: z.core.$ZodType): z.core.$ZodType => {
  const def = schema._zod.def as { innerType?: z.core.$ZodType };
  return def.innerType ? unwrapped(def.innerType) : schema;
};

/** The free-text and identifier fields of each command (what a person or system types in; not date-times). */
export const COMMAND_TEXT_FIELDS: Readonly<Record<CourseCommandType, readonly string[]>> = Object.fromEntries(
  Object.entries(COMMAND_DATA_SCHEMAS).map(([type, schema]) => [
    type,
    Object.entries(schema.shape as Record<string, z.core.$ZodType>)
      .filter(([, field]) => {
        const inner = unwrapped(field);
        return inner._zod.def.type === 'string' && z.globalRegistry.get(inner)?.['format'] !== 'date-time';
      })
      .map(([name]) => name),
  ]),
) as unknown as Record<CourseCommandType, readonly string[]>;

/** A zod schema as a JSON Schema (2020-12, as OpenAPI 3.1 uses) of what a sender may send. */
const jsonSchemaOf = (schema: z.core.$ZodType): Record<string, unknown> => {
  // Without `$schema`: these schemas are embedded in documents (OpenAPI, the webhook catalogue) that name the dialect.
  const json = Object.fromEntries(Object.entries(z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' })).filter(([key]) => key !== '$schema'));
  // Always a list (zod leaves it out when nothing is required), as consumers such as the webhook catalogue expect.
  return { ...json, required: json['required'] ?? [] };
};

/**
 * The JSON Schema (2020-12) of one command's `data`, from the schema the parser checks: every field with
 * its description, unit, range, pattern or allowed values, the command's title and description, and its
 * documented example. Optional fields may also be sent as null (the same as absent).
 */
export const commandDataJsonSchema = (type: CourseCommandType): Record<string, unknown> => jsonSchemaOf(COMMAND_DATA_SCHEMAS[type]);

/** The documented example `data` of a command (it parses; a unit test proves it). */
export const commandExample = (type: CourseCommandType): Record<string, unknown> =>
  (z.globalRegistry.get(COMMAND_DATA_SCHEMAS[type])?.examples as Record<string, unknown>[])[0]!;

/** The command's title, as a clinician would name the step. */
export const commandTitle = (type: CourseCommandType): string => z.globalRegistry.get(COMMAND_DATA_SCHEMAS[type])?.title ?? type;

/**
 * The field errors of one failed parse of `data`, as the sender should read them: unknown fields first,
 * then one error per field in the schema's order (the outermost one, e.g. `data.values` "has too many
 * values" before a bad value inside it).
 */
const fieldErrors = (issues: readonly z.core.$ZodIssue[]): FieldError[] => {
  const unknown: FieldError[] = [];
  const byField = new Map<string, { depth: number; error: FieldError }>();
  for (const issue of issues) {
    if (issue.path.length === 0) {
      if (issue.code === 'unrecognized_keys') unknown.push(...issue.keys.map((key) => ({ field: `data.${key}`, message: 'is not a field of this command' })));
      else unknown.push({ field: 'data', message: issue.message });
      continue;
    }
    const name = String(issue.path[0]);
    const seen = byField.get(name);
    if (!seen || issue.path.length < seen.depth) {
      byField.set(name, { depth: issue.path.length, error: { field: ['data', ...issue.path.map(String)].join('.'), message: issue.message } });
    }
  }
  return [...unknown, ...[...byField.values()].map((f) => f.error)];
};

/**
 * Checks the shape of a command body (`{type, data}`) before it reaches the decider: unknown command,
 * unknown field, missing field, wrong type or out-of-range value, against the command's schema
 * (COMMAND_DATA_SCHEMAS). An optional field sent as null is dropped, as if absent. Protocol rules are the
 * decider's job.
 */
export const parseCommandInput = (input: unknown, allowed: readonly CourseCommandType[] = COMMAND_TYPES): ParseResult => {
  if (!isRecord(input)) return { ok: false, errors: [{ field: '', message: 'must be a JSON object' }] };
  const { type, data } = input;
  if (typeof type !== 'string' || !allowed.includes(type as CourseCommandType)) {
    return { ok: false, errors: [{ field: 'type', message: `must be one of ${allowed.join(', ')}` }] };
  }
  const schema = COMMAND_DATA_SCHEMAS[type as CourseCommandType];
  if (!isRecord(data)) return { ok: false, errors: [{ field: 'data', message: 'must be a JSON object' }] };
  // Text the store cannot keep would be accepted here and refused by PostgreSQL later, jamming the course.
  const unstorable = findUnstorableText(data, 'data');
  if (unstorable) return { ok: false, errors: [unstorable] };
  // Null is "not given" for a field of the command (a required one is then missing); an unknown field stays unknown.
  const given = Object.fromEntries(Object.entries(data).filter(([key, value]) => value !== null || !Object.hasOwn(schema.shape, key)));
  const parsed = schema.safeParse(given);
  if (!parsed.success) return { ok: false, errors: fieldErrors(parsed.error.issues) };
  const cleaned = Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined));
  return { ok: true, command: { type, data: cleaned } as CommandInput };
};

// ---------------------------------------------------------------- the body of a command sent over HTTP

const EXPECTED_VERSION_MESSAGE = 'must be a non-negative integer';
const expectedVersion = z
  .int({ error: EXPECTED_VERSION_MESSAGE })
  .min(0, { error: EXPECTED_VERSION_MESSAGE })
  .meta({
    description: "Refuse the command (409 VERSION_CONFLICT) unless the course is at exactly this version: the course's `version` when you last read it.",
    examples: [4],
  });
const ENVELOPE_FIELDS = ['type', 'data', 'expectedVersion'];

/** The whole body of one command type: `{type, data, expectedVersion?}`, closed. */
const commandRequestSchema = (type: CourseCommandType) =>
  z.strictObject({
    type: z.literal(type).meta({ description: 'The command.' }),
    data: COMMAND_DATA_SCHEMAS[type],
    expectedVersion: expectedVersion.optional(),
  });

/**
 * The JSON Schema (2020-12 / OpenAPI 3.1) of a whole command body of one type, titled by the type, with the
 * command's description and its documented example; the OpenAPI document names one per command.
 */
export const commandRequestJsonSchema = (type: CourseCommandType): Record<string, unknown> => {
  const meta = z.globalRegistry.get(COMMAND_DATA_SCHEMAS[type]);
  return {
    title: type,
    description: `${meta?.title}. ${meta?.description}`,
    ...jsonSchemaOf(commandRequestSchema(type)),
    examples: [{ type, data: commandExample(type) }],
  };
};

export type CommandRequestResult = { ok: true; command: CommandInput; expectedVersion?: number } | { ok: false; errors: FieldError[] };

/**
 * Checks a command body sent over HTTP: `{type, data}` as {@link parseCommandInput} does, plus the
 * envelope (no other fields; `expectedVersion`, if given, a non-negative integer).
 */
export const parseCommandRequest = (body: unknown, allowed: readonly CourseCommandType[] = COMMAND_TYPES): CommandRequestResult => {
  const problems: FieldError[] = [];
  let version: number | undefined;
  if (isRecord(body)) {
    for (const field of Object.keys(body)) {
      if (!ENVELOPE_FIELDS.includes(field)) problems.push({ field, message: 'is not a field of a command' });
    }
    if (body['expectedVersion'] !== undefined) {
      const checked = expectedVersion.safeParse(body['expectedVersion']);
      if (checked.success) version = checked.data;
      else problems.push({ field: 'expectedVersion', message: EXPECTED_VERSION_MESSAGE });
    }
  }
  const parsed = parseCommandInput(body, allowed);
  if (!parsed.ok) problems.push(...parsed.errors);
  if (problems.length > 0 || !parsed.ok) return { ok: false, errors: problems };
  return { ok: true, command: parsed.command, ...(version !== undefined ? { expectedVersion: version } : {}) };
};
