import type { OpenAPIObject } from '@nestjs/swagger';
import { commandExample, commandRequestJsonSchema, commandTitle, type CourseCommandType } from '@care/protocol';
import { HTTP_COMMAND_TYPES } from './command-types';

/*
 * The OpenAPI description of the body of POST /courses/:courseId/commands, generated from the protocol's
 * command schemas (the same ones the API parses with): one named schema per command, `<Type>Command`,
 * and the body as their union, discriminated by `type`.
 */

type SchemaObject = NonNullable<NonNullable<OpenAPIObject['components']>['schemas']>[string];

export const commandComponentName = (type: CourseCommandType): string => `${type}Command`;
const refOf = (type: CourseCommandType): string => `#/components/schemas/${commandComponentName(type)}`;

/** `components.schemas` entries: one per command accepted over HTTP. */
export const commandBodyComponents = (): Record<string, SchemaObject> =>
  Object.fromEntries(HTTP_COMMAND_TYPES.map((type) => [commandComponentName(type), commandRequestJsonSchema(type) as SchemaObject]));

/** The request body: exactly one of the command schemas, chosen by `type`. */
export const commandBodySchema = (): SchemaObject => ({
  oneOf: HTTP_COMMAND_TYPES.map((type) => ({ $ref: refOf(type) })),
  discriminator: { propertyName: 'type', mapping: Object.fromEntries(HTTP_COMMAND_TYPES.map((type) => [type, refOf(type)])) },
});

/** One documented example per command (Swagger UI offers them in a list). */
export const commandBodyExamples = (): Record<string, { summary: string; value: unknown }> =>
  Object.fromEntries(HTTP_COMMAND_TYPES.map((type) => [type, { summary: commandTitle(type), value: { type, data: commandExample(type) } }]));
