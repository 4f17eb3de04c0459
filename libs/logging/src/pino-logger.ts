import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LoggerService } from '@nestjs/common';
import { Logger as NestPinoLogger, PinoLogger, type Params } from 'nestjs-pino';
import pino, { type DestinationStream, type Logger } from 'pino';
import { Store, storage } from 'nestjs-pino/storage';
import { pinoHttp, type Options as HttpOptions } from 'pino-http';
import { redactText, redactValue } from './redact';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** A log error as a reader needs it: its kind and a redacted message. No stack: it can quote values. */
const errorFields = (error: unknown): unknown =>
  error instanceof Error ? { type: error.name, message: redactText(error.message) } : redactValue(error);

/**
 * The one logger of both processes: pino writing one JSON object per line to stderr (`time`, `level`,
 * `service`, `context`, `msg`, any structured fields), with the redaction guarantees of `redact.ts`
 * applied to every message, interpolation argument and field, whoever logs (Nest, pino-http, Temporal).
 */
export const createLogger = (level: LogLevel, service: string, destination: DestinationStream = process.stderr): Logger =>
  pino(
    {
      level,
      messageKey: 'msg',
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label === 'fatal' ? 'error' : label === 'trace' ? 'debug' : label }),
        // Every merged object, whatever its origin: sensitive fields replaced. An error (pino's and
        // pino-http's `err`) leaves as `error`, a key no serializer of theirs touches, so no stack comes back.
        log: (fields) => {
          const { err, ...rest } = fields;
          return { ...(redactValue(rest) as Record<string, unknown>), ...(err === undefined ? {} : { error: errorFields(err) }) };
        },
      },
      // The message and its interpolation arguments, which `formatters.log` does not see. Given only an
      // error, pino would take its message as is: it is redacted here first.
      hooks: {
        logMethod(args, method) {
          const [first, ...rest] = args as unknown[];
          const redacted = rest.map((arg) => (typeof arg === 'string' ? redactText(arg) : arg));
          const error = first instanceof Error ? first : (first as { err?: unknown } | null)?.err;
          const message = typeof first === 'object' && first !== null && rest.length === 0 && error instanceof Error && !('msg' in first) ? [redactText(error.message)] : [];
          const call = method as (...a: unknown[]) => void;
          call.apply(this, [typeof first === 'string' ? redactText(first) : first, ...redacted, ...message]);
        },
      },
    },
    destination,
  );

type CorrelatedRequest = IncomingMessage & { correlationId?: string };

export interface RequestLoggingOptions {
  /** What a request line names: a route template, never the path itself (ids, and whatever a client typed). */
  routeOf: (req: IncomingMessage) => string;
  /** Requests not logged (health probes). */
  ignore?: (req: IncomingMessage) => boolean;
}

/**
 * Request logging (pino-http): one line per response with the method, the route template, status
 * and time, and the request's correlation id (`requestId`) on every line logged while it is served.
 * No headers, no path, no query string, no body.
 */
export const requestLogging = (logger: Logger, { routeOf, ignore }: RequestLoggingOptions): HttpOptions => {
  const summary = (req: IncomingMessage, res: ServerResponse, fields: { responseTime?: number }) => ({
    context: 'Http',
    request: { method: req.method, route: routeOf(req) },
    statusCode: res.statusCode,
    responseTimeMs: fields.responseTime,
  });
  return {
    logger,
    genReqId: (req: CorrelatedRequest) => req.correlationId ?? randomUUID(),
    quietReqLogger: true,
    quietResLogger: true,
    customAttributeKeys: { reqId: 'requestId' },
    autoLogging: ignore ? { ignore } : true,
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    customSuccessObject: summary,
    customErrorObject: (req, res, error, fields) => ({ ...summary(req, res, fields), err: error }),
    customSuccessMessage: (req, res) => `${req.method} ${routeOf(req)} ${res.statusCode}`,
    customErrorMessage: (req, res) => `${req.method} ${routeOf(req)} ${res.statusCode}`,
  };
};

/**
 * Express middleware: pino-http's request log, then nestjs-pino's request scope, so a Nest logger used
 * while a request is served writes through that request's logger (with its `requestId`). Mounted with
 * `app.use` rather than `LoggerModule`, so requests refused before Nest's router (rate limits, bodies)
 * are logged too.
 */
export const httpLogging = (logger: Logger, options: RequestLoggingOptions) => {
  const log = pinoHttp(requestLogging(logger, options));
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void =>
    log(req, res, () => storage.run(new Store((req as IncomingMessage & { log: Logger }).log), next));
};

/**
 * Nest's logger over the same pino instance (nestjs-pino's adapter: `log(message, context)`,
 * `error(message, stack, context)`), usable before the application's container exists. nestjs-pino
 * keeps the first instance it is given for the process: one logger per process.
 */
export const nestLogger = (logger: Logger): LoggerService => {
  const params: Params = { pinoHttp: { logger } };
  return new NestPinoLogger(new PinoLogger(params), params);
};
