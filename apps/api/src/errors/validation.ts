import type { ValidationError } from 'class-validator';
import { ApiError, type FieldProblem } from './api-error';

const flatten = (errors: ValidationError[], prefix = ''): FieldProblem[] =>
  errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(e.children ?? [], field)];
  });

/** Turns class-validator output into a 400 that names each bad field. */
export const validationExceptionFactory = (errors: ValidationError[]): ApiError => ApiError.badRequest(flatten(errors));
