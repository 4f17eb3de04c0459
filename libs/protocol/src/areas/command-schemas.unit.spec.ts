import { z } from 'zod';
import {
  COMMAND_DATA_SCHEMAS,
  COMMAND_TEXT_FIELDS,
  COMMAND_TYPES,
  commandDataJsonSchema,
  commandExample,
  commandRequestJsonSchema,
  parseCommandInput,
  parseCommandRequest,
} from '../parse-command';

const fieldsOf = (type: keyof typeof COMMAND_DATA_SCHEMAS) => Object.entries(COMMAND_DATA_SCHEMAS[type].shape as Record<string, z.ZodType>);

describe('one schema per command', () => {
  it('has a schema for every command type, and nothing else', () => {
    expect(Object.keys(COMMAND_DATA_SCHEMAS)).toEqual(COMMAND_TYPES);
    expect(COMMAND_TYPES).toHaveLength(31);
  });

  it.each(COMMAND_TYPES)('%s: titled, described, every field described, and its example parses', (type) => {
    const meta = z.globalRegistry.get(COMMAND_DATA_SCHEMAS[type]);
    expect(meta).toMatchObject({ title: expect.any(String), description: expect.any(String), examples: [expect.any(Object)] });
    for (const [name, field] of fieldsOf(type)) {
      expect({ name, description: typeof field.description }).toEqual({ name, description: 'string' });
    }
    const example = commandExample(type);
    expect(parseCommandInput({ type, data: example })).toEqual({ ok: true, command: { type, data: example } });
    expect(parseCommandRequest({ type, data: example, expectedVersion: 3 })).toEqual({ ok: true, command: { type, data: example }, expectedVersion: 3 });
  });

  it.each(COMMAND_TYPES)('%s: its JSON Schema lists the fields and says which are required', (type) => {
    const json = commandDataJsonSchema(type) as { properties: Record<string, unknown>; required: string[]; additionalProperties: boolean };
    const shape = fieldsOf(type);
    expect(Object.keys(json.properties)).toEqual(shape.map(([name]) => name));
    expect(json.required).toEqual(shape.filter(([, field]) => !field.safeParse(undefined).success).map(([name]) => name));
    expect(json.additionalProperties).toBe(false);
    expect(json).not.toHaveProperty('$schema');
    expect(commandRequestJsonSchema(type)).toMatchObject({ title: type, properties: { type: { const: type } }, required: ['type', 'data'] });
  });

  it('takes the clinical-time fields where the step has a time of its own to report', () => {
    const timed = COMMAND_TYPES.filter((type) => 'performedAt' in COMMAND_DATA_SCHEMAS[type].shape);
    expect(timed).not.toContain('CorrectEvent');
    expect(timed).toContain('AdministerDose');
    expect(COMMAND_TYPES.filter((type) => 'lateEntryReason' in COMMAND_DATA_SCHEMAS[type].shape)).toEqual(
      expect.arrayContaining([...timed, 'RecordInformedConsent', 'RecordVitals']),
    );
  });

  it('lists the text fields of each command (not date-times, not enums)', () => {
    expect(COMMAND_TEXT_FIELDS.RecordVitals).toEqual(['sessionKey', 'lateEntryReason']);
    expect(COMMAND_TEXT_FIELDS.StartCourse).toEqual(['courseId', 'patientRef', 'siteId', 'protocolId', 'lateEntryReason']);
    expect(COMMAND_TEXT_FIELDS.CompleteCourse).toEqual([]);
    expect(COMMAND_TEXT_FIELDS.RecordDueDateNotice).toEqual(['dueKey']);
  });

  it('refuses what the sender may not send: a recordHash, an unknown envelope field, a bad expectedVersion', () => {
    expect(parseCommandInput({ type: 'CompleteCourse', data: { signature: { meaning: 'responsibility', recordHash: 'a'.repeat(64) } } })).toMatchObject({
      ok: false,
      errors: [{ field: 'data.signature', message: 'must be an object with only "meaning"' }],
    });
    expect(parseCommandRequest({ type: 'CompleteCourse', data: {}, expectedVersion: -1, extra: 1 })).toEqual({
      ok: false,
      errors: [
        { field: 'extra', message: 'is not a field of a command' },
        { field: 'expectedVersion', message: 'must be a non-negative integer' },
      ],
    });
    expect(parseCommandRequest('x')).toEqual({ ok: false, errors: [{ field: '', message: 'must be a JSON object' }] });
  });

  it('treats null as absent for a field of the command, not for an unknown one', () => {
    expect(parseCommandInput({ type: 'RaiseAlert', data: { reason: 'x', sessionKey: null } })).toEqual({ ok: true, command: { type: 'RaiseAlert', data: { reason: 'x' } } });
    expect(parseCommandInput({ type: 'RaiseAlert', data: { reason: null } })).toEqual({ ok: false, errors: [{ field: 'data.reason', message: 'is required' }] });
    expect(parseCommandInput({ type: 'RaiseAlert', data: { reason: 'x', other: null } })).toEqual({
      ok: false,
      errors: [{ field: 'data.other', message: 'is not a field of this command' }],
    });
  });
});
