import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { loadConfig } from '@care/config';
import { COMMAND_TYPES, parseCommandRequest } from '@care/protocol';
import { createApp } from './create-app';
import { HTTP_COMMAND_TYPES } from './courses/command-types';

/** The real application, served on a loopback port without its servers (PostgreSQL and Temporal connect lazily). */
const serve = async (): Promise<{ app: INestApplication; url: string }> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openapi-'));
  fs.writeFileSync(path.join(dir, 'jwt-public.pem'), '');
  const config = loadConfig({ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', DATA_DIR: dir, TEMPORAL_ADDRESS: '127.0.0.1:1', LOG_LEVEL: 'error' });
  const app = await createApp(config);
  await app.listen(0, '127.0.0.1');
  return { app, url: await app.getUrl() };
};

describe('the served OpenAPI document', () => {
  let app: INestApplication;
  let doc: any;
  beforeAll(async () => {
    const served = await serve();
    app = served.app;
    const res = await fetch(`${served.url.replace('[::1]', '127.0.0.1')}/openapi.json`);
    expect(res.status).toBe(200);
    doc = await res.json();
  });
  afterAll(async () => {
    await app.close();
  });

  it('is OpenAPI 3.1, whose schemas are JSON Schema 2020-12 as the command schemas produce', () => {
    expect(doc.openapi).toBe('3.1.0');
  });

  it('describes the body of POST /courses/{courseId}/commands as a union of the commands, discriminated by type', () => {
    const body = doc.paths['/courses/{courseId}/commands'].post.requestBody.content['application/json'];
    const refs = HTTP_COMMAND_TYPES.map((type) => `#/components/schemas/${type}Command`);
    expect(body.schema.oneOf).toEqual(refs.map(($ref) => ({ $ref })));
    expect(body.schema.discriminator).toEqual({ propertyName: 'type', mapping: Object.fromEntries(HTTP_COMMAND_TYPES.map((t, i) => [t, refs[i]])) });
    // StartCourse has its own route; system commands never come over HTTP.
    expect(HTTP_COMMAND_TYPES).not.toContain('StartCourse');
    expect(HTTP_COMMAND_TYPES).not.toContain('RecordDueDateNotice');
    expect(HTTP_COMMAND_TYPES).toHaveLength(COMMAND_TYPES.length - 2);
    expect(Object.keys(body.examples).sort()).toEqual([...HTTP_COMMAND_TYPES].sort());
  });

  it.each(HTTP_COMMAND_TYPES)('names a schema for %s, with its fields described and an example that parses', (type) => {
    const schema = doc.components.schemas[`${type}Command`];
    expect(schema).toMatchObject({ type: 'object', required: ['type', 'data'], additionalProperties: false, title: type });
    expect(schema.description).toEqual(expect.any(String));
    expect(schema.properties.type).toMatchObject({ type: 'string', const: type });
    const data = schema.properties.data;
    expect(data).toMatchObject({ type: 'object', additionalProperties: false, title: expect.any(String), description: expect.any(String) });
    for (const [name, field] of Object.entries<any>(data.properties)) {
      expect({ name, description: typeof field.description }).toEqual({ name, description: 'string' });
    }
    expect(schema.properties.expectedVersion).toMatchObject({ type: 'integer', minimum: 0 });
    for (const example of [...schema.examples, doc.paths['/courses/{courseId}/commands'].post.requestBody.content['application/json'].examples[type].value]) {
      expect(parseCommandRequest(example, HTTP_COMMAND_TYPES)).toMatchObject({ ok: true, command: example });
    }
  });

  it('gives units, ranges and allowed values', () => {
    const data = (type: string) => doc.components.schemas[`${type}Command`].properties.data.properties;
    expect(data('RecordVitals').systolic).toMatchObject({ type: 'integer', minimum: 40, maximum: 300, description: expect.stringContaining('mmHg') });
    expect(data('RecordVitals').heartRate.description).toContain('beats per minute');
    expect(data('RecordVitals').temperatureC).toMatchObject({ type: 'number', minimum: 30, maximum: 45, description: expect.stringContaining('°C') });
    expect(data('AdministerDose').amountMg).toMatchObject({ type: 'number', minimum: 0.001, maximum: 10000, description: expect.stringContaining('mg') });
    expect(data('ClassifyAdverseEvent').causality.enum).toEqual(['not_related', 'unlikely', 'possible', 'probable', 'definite']);
    expect(data('ScheduleSession').scheduledFor).toMatchObject({ type: 'string', format: 'date-time' });
    expect(data('AdministerDose').signature).toMatchObject({ type: 'object', required: ['meaning'], additionalProperties: false });
    expect(Object.keys(data('AdministerDose').signature.properties)).toEqual(['meaning']);
  });
});

describe('the other request bodies and query strings in the OpenAPI document (zod DTOs)', () => {
  let app: INestApplication;
  let doc: any;
  beforeAll(async () => {
    const served = await serve();
    app = served.app;
    doc = await (await fetch(`${served.url.replace('[::1]', '127.0.0.1')}/openapi.json`)).json();
  });
  afterAll(async () => {
    await app.close();
  });

  const schemaOf = (ref: { $ref?: string } & Record<string, unknown>) =>
    ref.$ref ? doc.components.schemas[ref.$ref.replace('#/components/schemas/', '')] : ref;

  it('documents the body of POST /courses from its schema, with the clinical time', () => {
    const body = schemaOf(doc.paths['/courses'].post.requestBody.content['application/json'].schema);
    expect(body.required).toEqual(expect.arrayContaining(['patientRef', 'siteId', 'protocolId']));
    expect(Object.keys(body.properties)).toEqual(expect.arrayContaining(['performedAt', 'lateEntryReason']));
    expect(body.additionalProperties).toBe(false);
  });

  it('documents the query of GET /audit/events, each filter a parameter', () => {
    const names = (doc.paths['/audit/events'].get.parameters as { name: string; in: string }[]).filter((p) => p.in === 'query').map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['courseId', 'patientRef', 'from', 'to', 'cursor', 'limit']));
  });

  it('links a started course to its other operations, and a command to its status, by operation ids that exist', () => {
    const operationIds = new Set(Object.values(doc.paths).flatMap((item: any) => Object.values(item).map((op: any) => op.operationId)));
    const links = doc.paths['/courses'].post.responses['201'].links;
    expect(Object.keys(links).sort()).toEqual(['CheckCourseSignatures', 'GetCourse', 'GetCourseEvents', 'SubmitCommand']);
    for (const l of Object.values(links) as { operationId: string; parameters: Record<string, string> }[]) {
      expect(operationIds.has(l.operationId)).toBe(true);
      expect(l.parameters).toEqual({ courseId: '$response.body#/courseId' });
    }
    const fromCommand = doc.paths['/courses/{courseId}/commands'].post.responses['200'].links;
    expect(fromCommand.GetCommandStatus.parameters).toEqual({ courseId: '$request.path.courseId', commandId: '$response.header.Command-Id' });
    expect(operationIds.has(fromCommand.GetCommandStatus.operationId)).toBe(true);
    expect(operationIds.has(fromCommand.CheckCourseSignatures.operationId)).toBe(true);
  });

});
