import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { cleanupOpenApiDoc } from 'nestjs-zod';
import { commandBodyComponents } from './courses/command-body.openapi';

/**
 * The OpenAPI 3.1 document served at /openapi.json and /docs: the routes as Nest describes them, plus the
 * schemas of the command bodies, generated from the protocol's command schemas (JSON Schema 2020-12).
 */
export const buildOpenApiDocument = (app: INestApplication): OpenAPIObject => {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setOpenAPIVersion('3.1.0')
      .setTitle('MDMA-assisted therapy course-of-care API')
      .setDescription('Clinic staff advance a course of care step by step; every accepted command is recorded in an append-only history.')
      .setVersion('0.1.0')
      .addBearerAuth()
      .build(),
  );
  // cleanupOpenApiDoc turns the zod DTOs of the other routes into their JSON schemas.
  const cleaned = cleanupOpenApiDoc(document, { version: '3.1' });
  return { ...cleaned, components: { ...cleaned.components, schemas: { ...cleaned.components?.schemas, ...commandBodyComponents() } } };
};
