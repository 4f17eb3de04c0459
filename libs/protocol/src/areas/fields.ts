import { z } from 'zod';

/*
 * The building blocks of every command's `data` schema (<area>/<area>.schemas.ts beside it): what a field
 * must look like, the sentence a sender gets when it does not, and the words the OpenAPI document, the
 * console's forms and the webhook catalogue show. Only shape and plausibility live here; the protocol's
 * own rules (allowed doses, thresholds, order of steps) are the decider's.
 */

/** An identifier: a key of the protocol (a visit, a criterion) or a reference to something kept elsewhere. */
export const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
const IDENTIFIER_HINT = 'letters, digits, ".", "_", ":" or "-"';
/** A UTC date-time: minutes, optional seconds and up to 6 decimals of a second, always `Z`. */
export const UTC_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?Z$/;
/** The name of one value of an outcome (an assessment item, a monitoring-form field). */
export const VALUE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
export const MAX_VALUES = 100;
const MAX_VALUE_TEXT = 1000;

const NON_EMPTY = 'must be a non-empty string';
const DATE_TIME = 'must be a UTC date-time such as 2026-01-31T14:05:00Z';

/** A field's message, or "is required" when it is absent (an explicit null counts as absent). */
const orRequired =
  (message: string) =>
  (issue: { input?: unknown }): string =>
    issue.input === undefined ? 'is required' : message;

const notBlank = (s: string): boolean => s.trim() !== '';

/** Free text a person types: not blank, at most `maxLength` characters. */
export const text = (maxLength: number) =>
  z
    .string({ error: orRequired(NON_EMPTY) })
    .min(1, { error: NON_EMPTY })
    .refine(notBlank, { error: NON_EMPTY })
    .max(maxLength, { error: `must be at most ${maxLength} characters` });

/** A key or reference: 1 to 64 letters, digits, ".", "_", ":" or "-", starting with a letter or digit. */
export const identifier = () => text(64).regex(IDENTIFIER, { error: `may contain only ${IDENTIFIER_HINT}` });

/** A UTC date-time such as 2026-01-31T14:05:00Z. */
export const dateTime = () =>
  z
    .string({ error: orRequired(DATE_TIME) })
    .regex(UTC_DATE_TIME, { error: DATE_TIME })
    .refine((s) => !Number.isNaN(Date.parse(s)), { error: DATE_TIME })
    .meta({ format: 'date-time', examples: ['2026-01-31T14:05:00Z'] });

export const bool = () => z.boolean({ error: orRequired('must be true or false') });

/** One of a fixed list of words. */
export const oneOf = <const T extends readonly [string, ...string[]]>(options: T) =>
  z.enum(options, { error: orRequired(`must be one of ${options.join(', ')}`) });

const between = (min: number, max: number, unit?: string): string => `must be between ${min} and ${max}${unit ? ` ${unit}` : ''}`;

/** A whole number from `min` to `max` (in `unit`, if it has one). */
export const wholeNumber = (min: number, max: number, unit?: string) =>
  z
    .number({ error: orRequired('must be a number') })
    // Zod's integer check also reports integers beyond 2^53 (too_big/too_small): those are out of range.
    .int({ error: (issue) => (issue.code === 'invalid_type' ? 'must be a whole number' : between(min, max, unit)) })
    .min(min, { error: between(min, max, unit) })
    .max(max, { error: between(min, max, unit) });

/** A number from `min` to `max` (in `unit`, if it has one). */
export const decimal = (min: number, max: number, unit?: string) =>
  z
    .number({ error: orRequired('must be a number') })
    .min(min, { error: between(min, max, unit) })
    .max(max, { error: between(min, max, unit) });

/** The position of an event in its course's record (1 for CourseStarted). */
export const streamVersion = () => wholeNumber(1, Number.MAX_SAFE_INTEGER);

/** The key of a visit in the protocol. */
export const sessionKey = () =>
  identifier().meta({ description: 'The visit, by its key in the protocol (e.g. `prep-1`, `dosing-1`, `integration-1.2`).', examples: ['dosing-1'] });

/** An amount of the protocol's drug, in mg. The decider checks it against the protocol; this keeps out nonsense. */
export const doseMg = () => decimal(0.001, 10_000, 'mg');

const VALUE = 'must be a number, a boolean or a text of at most 1000 characters';

/**
 * The values of an outcome (assessment items, monitoring-form fields, corrected values): up to 100 named
 * numbers, booleans or texts. Which names and ranges an instrument or form has is protocol data, checked
 * by the decider.
 */
export const outcomeValues = () =>
  z
    .record(
      // Names are checked below, after the count, so that "too many" is what the sender hears first.
      z.string(),
      z.union([z.string().max(MAX_VALUE_TEXT, { error: VALUE }), z.number(), z.boolean()], { error: VALUE }),
      { error: orRequired('must be a JSON object of values') },
    )
    .check((ctx) => {
      if (typeof ctx.value !== 'object' || ctx.value === null) return;
      const names = Object.keys(ctx.value);
      if (names.length > MAX_VALUES) {
        ctx.issues.push({ code: 'custom', message: 'has too many values', input: ctx.value });
        return;
      }
      const bad = names.find((name) => !VALUE_NAME.test(name));
      if (bad !== undefined) ctx.issues.push({ code: 'custom', message: 'is not a valid value name', path: [bad], input: bad });
    })
    .meta({ maxProperties: MAX_VALUES, propertyNames: { type: 'string', pattern: VALUE_NAME.source } });

/**
 * An e-signature request. Only the meaning comes from the sender: the API re-authenticates the signer and
 * adds the hash of the record signed (`recordHash`, never accepted from a client).
 */
export const signature = () =>
  z
    .strictObject(
      {
        meaning: z
          .string({ error: NON_EMPTY })
          .min(1, { error: NON_EMPTY })
          .refine(notBlank, { error: NON_EMPTY })
          .max(64, { error: 'must be at most 64 characters' })
          .meta({
            description:
              'What the signature means (21 CFR 11.50): `approval`, `review`, `responsibility` or `authorship`, as the protocol requires for this step (see `availableSteps[].signatureMeaning` of the course).',
            examples: ['responsibility'],
          }),
      },
      { error: orRequired('must be an object with only "meaning"') },
    )
    .optional()
    .meta({
      description:
        "The signer's e-signature, when the protocol requires one for this step (the API asks the signer to re-authenticate). Only `meaning` is sent.",
    });

/** When the step happened, if not now, and why it is entered late (see clinical-time.ts). */
export const performedAt = () =>
  dateTime()
    .optional()
    .meta({
      description:
        'When the step happened (its clinical time, UTC), if not at the moment it is entered. Not in the future; not before the step it follows.',
    });

export const lateEntryReason = () =>
  text(500)
    .optional()
    .meta({
      description:
        "Why the step is entered late: required when it is entered more than the protocol's late-entry threshold (by default 60 minutes) after it happened, and refused otherwise. At most 500 characters.",
      examples: ['Written up from the paper vitals sheet after the session'],
    });

/** Clinical time of a step that has no time field of its own. */
export const timed = () => ({ performedAt: performedAt(), lateEntryReason: lateEntryReason() });

type CommandDoc<Shape extends z.ZodRawShape> = {
  /** A short title, as a clinician would name the step. */
  title: string;
  /** What the step records and when it is allowed, in a few sentences. */
  description: string;
  /** One `data` object that parses; shown in the OpenAPI document and checked by a test. */
  example: z.input<z.ZodObject<Shape, z.core.$strict>>;
};

/** A command's `data`: a closed object (an unknown field is refused) with its title, description and example. */
export const commandData = <Shape extends z.ZodRawShape>(doc: CommandDoc<Shape>, shape: Shape) =>
  z.strictObject(shape).meta({ title: doc.title, description: doc.description, examples: [doc.example] });
