import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { setErrorCode } from '../metrics/api-metrics';
import { ApiError, type ErrorBody } from './api-error';

/**
 * Maps every thrown error to the error contract. Unknown errors become a 500 with no detail: stack
 * traces and driver messages can carry internals or clinical values and never leave the process.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const request = http.getRequest<Request & { correlationId?: string }>();
    const body = this.toBody(exception);
    if (body.statusCode >= 500) {
      // Log the class and the route only: messages from drivers may echo request values.
      this.logger.error(`${request.method} ${request.route?.path ?? 'unknown route'} failed: ${(exception as Error)?.name ?? 'unknown'}`);
    }
    if (body.code === 'SIGNATURE_REAUTH_REQUIRED') {
      // RFC 9470 step-up: tells an OIDC client to send the user back to the provider with this max_age.
      response.setHeader('WWW-Authenticate', `Bearer error="insufficient_user_authentication", max_age=${Number(body.details?.['maxAuthAgeSeconds'] ?? 0)}`);
    }
    setErrorCode(response, body.code);
    response.status(body.statusCode).json({ ...body, correlationId: request.correlationId });
  }

  private toBody(exception: unknown): ErrorBody {
    if (exception instanceof ApiError) return exception.body;
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const res = exception.getResponse();
      if (status === 413) return { statusCode: 413, code: 'PAYLOAD_TOO_LARGE', message: 'The request body is too large.' };
      if (status === 404) return { statusCode: 404, code: 'NOT_FOUND', message: 'No such resource.' };
      // Nest turns the JSON parser's SyntaxError (and a URIError of a bad %-escape) into a plain
      // BadRequestException carrying the parser's own words; those never reach the caller.
      if (status === 400 && !(exception instanceof ApiError) && exception.constructor.name === 'BadRequestException') {
        return { statusCode: 400, code: 'INVALID_REQUEST', message: 'The request body is not valid JSON, or the address has a broken %-escape.' };
      }
      const message = typeof res === 'object' && res && 'message' in res ? String((res as { message: unknown }).message) : exception.message;
      return { statusCode: status, code: status === 400 ? 'INVALID_REQUEST' : 'HTTP_ERROR', message };
    }
    const status = (exception as { status?: number; statusCode?: number })?.status ?? (exception as { statusCode?: number })?.statusCode;
    if (status === 400 && (exception as { type?: string }).type === 'entity.parse.failed') {
      return { statusCode: 400, code: 'INVALID_REQUEST', message: 'The request body is not valid JSON.' };
    }
    if (status === 413) return { statusCode: 413, code: 'PAYLOAD_TOO_LARGE', message: 'The request body is too large.' };
    if (status === 415) return { statusCode: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'The request body must be JSON in UTF-8.' };
    if (status === 400 && (exception as { type?: string }).type === 'encoding.invalid') {
      return { statusCode: 400, code: 'INVALID_REQUEST', message: 'The request body is not valid UTF-8.' };
    }
    // Any other client error the body parser reports (e.g. a body sent as gzip that is not gzip): its own
    // words may quote the input, so they are not passed on.
    if (status === 400 && (exception as { expose?: boolean }).expose === true) {
      return { statusCode: 400, code: 'INVALID_REQUEST', message: 'The request body could not be read as it declares (Content-Encoding, Content-Length).' };
    }
    // No claim about what was recorded: a command's outcome is read with its Command-Id.
    return { statusCode: 500, code: 'INTERNAL_ERROR', message: 'Something went wrong on our side.' };
  }
}
