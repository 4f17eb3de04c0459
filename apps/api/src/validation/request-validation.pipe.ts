import type { PipeTransform } from '@nestjs/common';
import { createZodValidationPipe } from 'nestjs-zod';
import { z } from 'zod';
import { ApiError, type FieldProblem } from '../errors/api-error';

/** The field problems of a failed zod parse: each field by its path, an unknown field as "is not a field of this request". */
export const fieldProblems = (error: z.ZodError): FieldProblem[] =>
  error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ field: [...issue.path.map(String), key].join('.'), message: 'is not a field of this request' }))
      : [{ field: issue.path.map(String).join('.'), message: issue.message }],
  );

/**
 * The global pipe: every request body and query string typed with a zod DTO (createZodDto) is parsed with
 * its schema, and a bad one is a 400 that names each field, in the API's error shape.
 */
export const RequestValidationPipe: new () => PipeTransform = createZodValidationPipe({
  createValidationException: (error) => ApiError.badRequest(error instanceof z.ZodError ? fieldProblems(error) : []),
});
