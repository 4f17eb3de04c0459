import { randomUUID } from 'node:crypto';
import { type INestApplication, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import type { AppConfig } from '@care/config';
import { AppModule } from './app.module';
import { validationExceptionFactory } from './errors/validation';

const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Builds the HTTP application (not yet listening): body limits, correlation ids, validation that
 * refuses unknown fields, the error filter, and the OpenAPI document at /openapi.json and /docs.
 */
export const createApp = async (config: AppConfig): Promise<INestApplication> => {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    logger: config.logLevel === 'debug' ? ['log', 'warn', 'error', 'debug'] : ['warn', 'error'],
  });
  app.useBodyParser('json', { limit: config.http.bodyLimit });
  app.disable('x-powered-by');
  app.use((req: Request & { correlationId?: string }, res: Response, next: NextFunction) => {
    const given = req.header('x-request-id');
    req.correlationId = given && CORRELATION_ID.test(given) ? given : randomUUID();
    res.setHeader('X-Request-Id', req.correlationId);
    next();
  });
  app.useGlobalPipes(
    new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true, exceptionFactory: validationExceptionFactory }),
  );
  app.enableShutdownHooks();

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('MDMA-assisted therapy course-of-care API')
      .setDescription('Clinic staff advance a course of care step by step; every accepted command is recorded in an append-only history.')
      .setVersion('0.1.0')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json' });
  return app;
};
