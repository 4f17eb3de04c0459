import { Injectable } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { HTTP_COMMAND_TYPES } from '../courses/command-types';

/**
 * The API's Prometheus metrics. Labels hold only route templates, methods, status codes, command
 * types and error codes: closed sets, never an id, a name or a value from a request.
 */
@Injectable()
export class ApiMetrics {
  readonly registry = new Registry();

  readonly requestDuration = new Histogram({
    name: 'care_api_request_duration_seconds',
    help: 'HTTP request latency by route template and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly commands = new Counter({
    name: 'care_api_commands_total',
    help: 'Commands received, by command type and outcome (RECORDED, PENDING or the error code).',
    labelNames: ['type', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly signatureReauthentications = new Counter({
    name: 'care_api_signature_reauthentications_total',
    help: 'Signed steps refused because the sign-in was too old (the console asks for a fresh one).',
    registers: [this.registry],
  });

  readonly rateLimited = new Counter({
    name: 'care_api_rate_limited_total',
    help: 'Requests refused by the rate limit (429).',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'care_api_' });
  }
}

/** The error code a response carried, set by whoever wrote the error (filter, rate limit). */
export const setErrorCode = (res: Response, code: string): void => {
  res.locals['errorCode'] = code;
};

const COMMAND_TYPES = new Set<string>(HTTP_COMMAND_TYPES);
const COMMAND_ROUTES = new Set(['POST /courses', 'POST /courses/:courseId/commands']);

/**
 * The route a request is reported under, in metrics and request logs: the template Express matched
 * (never the path itself, which holds ids and whatever a client typed); the console's files as one route.
 */
export const routeTemplate = (req: Request): string =>
  (req.route as { path?: string } | undefined)?.path ?? ((req.path ?? '').startsWith('/console') ? '/console' : 'unmatched');

/** Times every request and counts commands and refusals once its response is finished. */
export const metricsMiddleware = (metrics: ApiMetrics) => (req: Request, res: Response, next: NextFunction): void => {
  const started = process.hrtime.bigint();
  res.once('finish', () => {
    const route = routeTemplate(req);
    const status = String(res.statusCode);
    metrics.requestDuration.observe({ method: req.method, route, status }, Number(process.hrtime.bigint() - started) / 1e9);
    const code = res.locals['errorCode'] as string | undefined;
    if (code === 'SIGNATURE_REAUTH_REQUIRED') metrics.signatureReauthentications.inc();
    if (code === 'RATE_LIMITED') metrics.rateLimited.inc();
    if (COMMAND_ROUTES.has(`${req.method} ${route}`)) {
      const given = (req.body as { type?: unknown } | undefined)?.type;
      const type = route === '/courses' ? 'StartCourse' : typeof given === 'string' && COMMAND_TYPES.has(given) ? given : 'unknown';
      metrics.commands.inc({ type, outcome: code ?? (res.statusCode === 202 ? 'PENDING' : res.statusCode < 300 ? 'RECORDED' : `HTTP_${status}`) });
    }
  });
  next();
};
