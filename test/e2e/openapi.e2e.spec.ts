import { COMMAND_TYPES, parseCommandInput, SYSTEM_COMMAND_TYPES } from '@care/protocol';
import { http, startTestStack, type TestStack } from '../support/test-stack';

/**
 * The served OpenAPI document describes every command the API accepts, from the same schemas the API
 * parses with: the body of POST /courses/{courseId}/commands is a union discriminated by `type`, one named
 * schema per command, and each documented example is accepted as it is written (never a 400).
 */
describe('OpenAPI document of the commands', () => {
  let stack: TestStack;
  let doc: any;
  const httpTypes = COMMAND_TYPES.filter((t) => t !== 'StartCourse' && !SYSTEM_COMMAND_TYPES.includes(t));

  beforeAll(async () => {
    stack = await startTestStack();
    const res = await http(stack.baseUrl, 'GET', '/openapi.json');
    expect(res.status).toBe(200);
    doc = res.body;
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('names one schema per HTTP command and makes the body their union, discriminated by type', () => {
    const body = doc.paths['/courses/{courseId}/commands'].post.requestBody.content['application/json'];
    expect(body.schema.discriminator.propertyName).toBe('type');
    expect(Object.keys(body.schema.discriminator.mapping).sort()).toEqual([...httpTypes].sort());
    expect(body.schema.oneOf).toHaveLength(httpTypes.length);
    for (const type of httpTypes) {
      const ref = `#/components/schemas/${type}Command`;
      expect(body.schema.discriminator.mapping[type]).toBe(ref);
      expect(body.schema.oneOf).toContainEqual({ $ref: ref });
      expect(doc.components.schemas[`${type}Command`].properties.type.const).toBe(type);
    }
    expect(doc.components.schemas).not.toHaveProperty('RecordDueDateNoticeCommand');
  });

  it('documents examples that parse, and that the API accepts as written', async () => {
    const token = await stack.token({ sub: 'u-oa', name: 'Olive Api', role: 'physician', site: 'site-a' });
    const started = await http(stack.baseUrl, 'POST', '/courses', { token, body: { patientRef: 'P-OPENAPI', siteId: 'site-a', protocolId: 'mdma-at-ptsd' } });
    expect(started.status).toBe(201);
    for (const type of httpTypes) {
      const [example] = doc.components.schemas[`${type}Command`].examples;
      expect({ type, parsed: parseCommandInput(example).ok }).toEqual({ type, parsed: true });
      const res = await http(stack.baseUrl, 'POST', `/courses/${started.body.courseId}/commands`, { token, body: example });
      // The protocol may refuse the step at this point of the course (422, 403), but never the body's shape.
      expect({ type, status: res.status === 400 ? res.body : 'not 400' }).toEqual({ type, status: 'not 400' });
    }
  });
});
