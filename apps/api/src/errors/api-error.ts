import { HttpException } from '@nestjs/common';

/** A field-level problem in a request body, named by its path (e.g. `data.consentedAt`). */
export type FieldProblem = { field: string; message: string };

/**
 * Every error the API returns has this body. `code` is stable and machine-readable; `message` is a
 * sentence for people. Nothing in it may contain personal health information or internals.
 */
export type ErrorBody = {
  statusCode: number;
  code: string;
  message: string;
  details?: Record<string, unknown>;
  errors?: FieldProblem[];
  correlationId?: string;
};

export class ApiError extends HttpException {
  /** A refusal of a command (by the protocol or the workflow): the same command id is answered with it again. */
  isRefusal = false;

  constructor(readonly body: Omit<ErrorBody, 'correlationId'>) {
    super(body, body.statusCode);
  }

  static badRequest(errors: FieldProblem[], message = 'The request body is not valid.'): ApiError {
    return new ApiError({ statusCode: 400, code: 'INVALID_REQUEST', message, errors });
  }

  static unauthenticated(): ApiError {
    return new ApiError({ statusCode: 401, code: 'UNAUTHENTICATED', message: 'A valid bearer token is required.' });
  }

  /** 403 naming the permission the caller's role lacks (never anything about the resource). */
  static permissionDenied(permission: string): ApiError {
    return new ApiError({
      statusCode: 403,
      code: 'PERMISSION_DENIED',
      message: 'Your role does not allow this request.',
      details: { permission },
    });
  }

  /**
   * 401 for a signature without fresh authentication (Part 11 §11.200): the client sends the user back
   * to the identity provider (`prompt=login` / `max_age`) and retries with the new token.
   */
  static signatureReauthRequired(maxAgeSeconds: number): ApiError {
    return new ApiError({
      statusCode: 401,
      code: 'SIGNATURE_REAUTH_REQUIRED',
      message: 'Signing needs a fresh sign-in. Please sign in again and repeat the step.',
      details: { maxAuthAgeSeconds: maxAgeSeconds },
    });
  }

  static tooManyRequests(retryAfterSeconds: number): ApiError {
    return new ApiError({
      statusCode: 429,
      code: 'RATE_LIMITED',
      message: 'Too many requests; please slow down.',
      details: { retryAfterSeconds, retryable: true },
    });
  }

  static notFound(message = 'No such course of care at your site.'): ApiError {
    return new ApiError({ statusCode: 404, code: 'COURSE_NOT_FOUND', message });
  }

  /** A dependency is down. Claims nothing about a command's outcome: see {@link ApiError.outcomeUnknown}. */
  static unavailable(what: string): ApiError {
    return new ApiError({
      statusCode: 503,
      code: 'SERVICE_UNAVAILABLE',
      message: `${what} is unavailable right now. Please retry shortly.`,
      details: { retryable: true },
    });
  }

  /**
   * A command may have reached the workflow service but its outcome is unknown. Retrying with the same
   * command id completes that command; it never records it twice.
   */
  static outcomeUnknown(commandId: string, statusUrl: string): ApiError {
    return new ApiError({
      statusCode: 503,
      code: 'SERVICE_UNAVAILABLE',
      message:
        'The workflow service could not be reached, so the outcome of this command is not known. ' +
        'Retry with the header Idempotency-Key set to the command id: it completes this command and never records it twice.',
      details: { retryable: true, commandId, statusUrl },
    });
  }
}
