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
  return withCourseLinks({ ...cleaned, components: { ...cleaned.components, schemas: { ...cleaned.components?.schemas, ...commandBodyComponents() } } });
};

/**
 * OpenAPI links: the course id a started course answers with, and the command id a command answers
 * with, are the parameters of the course's other operations. Clients (and stateful fuzzers such as
 * schemathesis) follow them from a real course instead of guessing ids.
 */
const withCourseLinks = (doc: OpenAPIObject): OpenAPIObject => {
  const operationId = (route: string, method: 'get' | 'post'): string | undefined => doc.paths[route]?.[method]?.operationId;
  const course = '$response.body#/courseId';
  const onCourse = {
    GetCourse: { route: '/courses/{courseId}', method: 'get' as const, parameters: { courseId: course } },
    GetCourseEvents: { route: '/courses/{courseId}/events', method: 'get' as const, parameters: { courseId: course } },
    CheckCourseSignatures: { route: '/courses/{courseId}/signatures', method: 'get' as const, parameters: { courseId: course } },
    SubmitCommand: { route: '/courses/{courseId}/commands', method: 'post' as const, parameters: { courseId: course } },
  };
  const link = (spec: { route: string; method: 'get' | 'post'; parameters: Record<string, string> }, description: string) => {
    const id = operationId(spec.route, spec.method);
    return id ? { operationId: id, parameters: spec.parameters, description } : null;
  };
  const addLinks = (route: string, method: 'get' | 'post', status: string, links: Record<string, ReturnType<typeof link>>) => {
    const response = doc.paths[route]?.[method]?.responses?.[status] as { links?: Record<string, unknown> } | undefined;
    if (!response) return;
    const present = Object.fromEntries(Object.entries(links).filter(([, l]) => l !== null));
    if (Object.keys(present).length > 0) response.links = { ...response.links, ...present };
  };
  addLinks('/courses', 'post', '201', {
    GetCourse: link(onCourse.GetCourse, 'The course just started.'),
    GetCourseEvents: link(onCourse.GetCourseEvents, 'Its recorded history.'),
    CheckCourseSignatures: link(onCourse.CheckCourseSignatures, 'Its e-signatures, checked against their records.'),
    SubmitCommand: link(onCourse.SubmitCommand, 'Its next step.'),
  });
  addLinks('/courses/{courseId}/commands', 'post', '200', {
    GetCommandStatus: link(
      { route: '/courses/{courseId}/commands/{commandId}', method: 'get', parameters: { courseId: '$request.path.courseId', commandId: '$response.header.Command-Id' } },
      'What became of this command (its Command-Id).',
    ),
    GetCourse: link({ ...onCourse.GetCourse, parameters: { courseId: '$request.path.courseId' } }, 'The course after the step.'),
    CheckCourseSignatures: link({ ...onCourse.CheckCourseSignatures, parameters: { courseId: '$request.path.courseId' } }, 'Its signatures, the one just given included.'),
  });
  return doc;
};
