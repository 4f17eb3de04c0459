import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import { trace } from '@opentelemetry/api';
import type { AppConfig } from '@care/config';
import { activeTracing } from '@care/observability';
import { findUnstorableText } from '@care/protocol';
import { createLogger, httpLogging, nestLogger } from '@care/logging';
import { AppModule } from './app.module';
import { undeclaredRoutes } from './auth/route-inventory';
import { buildOpenApiDocument } from './openapi';
import { CONSOLE_PATH } from './console/console.module';
import { rateLimit, sharedRateLimiters } from './hardening/rate-limit.middleware';
import { securityHeaders } from './hardening/security-headers.middleware';
import { ApiMetrics, metricsMiddleware, routeTemplate } from './metrics/api-metrics';
import { RequestValidationPipe } from './validation/request-validation.pipe';
import { ApiError } from './errors/api-error';
import { DATA_SOURCE } from './infrastructure/tokens';

const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Builds the HTTP application (not yet listening): correlation ids, security headers, strict CORS,
 * per-client rate limits, body limits, validation that refuses unknown fields, the error filter, and
 * the OpenAPI document at /openapi.json and /docs.
 */
export const createApp = async (config: AppConfig): Promise<INestApplication> => {
  // Structured JSON lines (pino), redacted: no tokens, keys or clinical values.
  const logger = createLogger(config.logLevel, 'api');
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    logger: nestLogger(logger),
  });
  // Deny by default, checked at start: a controller route missing from the permission table stops the API.
  const undeclared = undeclaredRoutes(app);
  if (undeclared.length > 0) throw new Error(`routes without a permission in auth/permissions.ts: ${undeclared.join(', ')}`);
  app.disable('x-powered-by');
  app.use((req: Request & { correlationId?: string }, res: Response, next: NextFunction) => {
    const given = req.header('x-request-id');
    // With tracing on, the trace id: the events of a command then name the trace that recorded them.
    const traceId = activeTracing() ? trace.getActiveSpan()?.spanContext().traceId : undefined;
    req.correlationId = traceId ?? (given && CORRELATION_ID.test(given) ? given : randomUUID());
    res.setHeader('X-Request-Id', req.correlationId);
    next();
  });
  // One line per response (route template, status, time; health probes left out), every request refused on the way included.
  app.use(httpLogging(logger, { routeOf: (req) => routeTemplate(req as Request), ignore: (req) => (req as Request).path.startsWith('/health/') }));
  // Every request is timed, the rate-limited ones too.
  app.use(metricsMiddleware(app.get(ApiMetrics)));
  app.use(securityHeaders({ consolePath: CONSOLE_PATH, oidcAuthority: config.console.oidc?.authority ?? null }));
  // Only the configured origins (the Temporal UI for the codec endpoint); without any, no CORS headers at all.
  if (config.corsOrigins.length > 0) {
    app.enableCors({
      origin: config.corsOrigins,
      methods: ['GET', 'POST'],
      allowedHeaders: ['authorization', 'content-type', 'x-namespace', 'x-request-id', 'idempotency-key'],
      exposedHeaders: ['x-request-id', 'retry-after', 'command-id', 'location'],
      credentials: false,
      maxAge: 600,
    });
  }
  app.use(rateLimit(sharedRateLimiters(app.get(DATA_SOURCE), config.rateLimitPerMinute)));
  app.useBodyParser('json', {
    limit: config.http.bodyLimit,
    // Invalid UTF-8 would otherwise be replaced silently (U+FFFD): refused instead. The raw bytes are
    // kept for what must be verified over them (webhook signatures).
    verify: (req: Request & { rawBody?: Buffer }, _res: Response, buf: Buffer) => {
      if (!isUtf8(buf)) throw Object.assign(new Error('invalid UTF-8'), { status: 400, statusCode: 400, type: 'encoding.invalid' });
      req.rawBody = buf;
    },
  });
  // Text the record cannot store (U+0000, broken surrogate pairs) or absurd nesting, anywhere in a
  // body or query string, is refused before any handler sees it.
  app.use((req: Request, _res: Response, next: NextFunction) => {
    const problem = findUnstorableText(req.body, '') ?? findUnstorableText(req.query, 'query');
    if (problem) return next(ApiError.badRequest([problem], 'The request contains text that cannot be recorded.'));
    next();
  });
  // Bodies and query strings are parsed with their zod schemas (the DTOs are createZodDto classes).
  app.useGlobalPipes(new RequestValidationPipe());
  app.enableShutdownHooks();

  SwaggerModule.setup('docs', app, buildOpenApiDocument(app), { jsonDocumentUrl: 'openapi.json' });
  return app;
};
