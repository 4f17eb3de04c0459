import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { loadConfig } from '@care/config';
import { ROUTE_PERMISSIONS } from '../auth/permissions';
import { createApp } from '../create-app';

/** The FHIR route in the served application: its permission and its OpenAPI description. */
describe('GET /courses/{courseId}/fhir in the application', () => {
  let app: INestApplication;
  let doc: any;
  beforeAll(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-openapi-'));
    fs.writeFileSync(path.join(dir, 'jwt-public.pem'), '');
    app = await createApp(loadConfig({ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', DATA_DIR: dir, TEMPORAL_ADDRESS: '127.0.0.1:1', LOG_LEVEL: 'error' }));
    await app.listen(0, '127.0.0.1');
    doc = await (await fetch(`${(await app.getUrl()).replace('[::1]', '127.0.0.1')}/openapi.json`)).json();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('needs exactly the permission of reading the course', () => {
    expect(ROUTE_PERMISSIONS['GET /courses/:courseId/fhir']).toBe(ROUTE_PERMISSIONS['GET /courses/:courseId']);
    expect(ROUTE_PERMISSIONS['GET /courses/:courseId/fhir']).toBe('course:read');
  });

  it('is documented: application/fhir+json Bundle, the course id pattern, and the refusals of the error contract', () => {
    const op = doc.paths['/courses/{courseId}/fhir'].get;
    expect(op.operationId).toBe('GetCourseFhir');
    expect(op.tags).toEqual(['fhir']);
    expect(op.security).toEqual([{ bearer: [] }]);
    expect(op.parameters).toEqual([expect.objectContaining({ name: 'courseId', in: 'path', required: true, schema: expect.objectContaining({ pattern: expect.any(String) }) })]);
    expect(op.responses['200'].content['application/fhir+json'].schema).toMatchObject({ properties: { resourceType: { const: 'Bundle' }, type: { const: 'collection' } } });
    expect(Object.keys(op.responses).sort()).toEqual(['200', '400', '401', '403', '404', '503']);
  });

  it('refuses a request without a token with 401 in the error contract', async () => {
    const res = await fetch(`${(await app.getUrl()).replace('[::1]', '127.0.0.1')}/courses/c-1/fhir`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});
