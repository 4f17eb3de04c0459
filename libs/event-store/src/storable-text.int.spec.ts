import fc from 'fast-check';
import type { DataSource } from 'typeorm';
import { COMMAND_TEXT_FIELDS, findUnstorableText, parseCommandInput, type CourseCommandType } from '@care/protocol';
import { createDataSource, runMigrations } from './data-source';
import { EventStore } from './event-store';

const meta = { actor: { id: 'u-1', name: 'Casey', role: 'coordinator', siteId: 'site-a' }, occurredAt: '2026-01-01T00:00:00Z', correlationId: 'c' };

// Every text field of every command, as [command type, field].
const TEXT_FIELDS = (Object.entries(COMMAND_TEXT_FIELDS) as [CourseCommandType, readonly string[]][]).flatMap(([type, fields]) => fields.map((f) => [type, f] as const));

// Arbitrary code points (surrogate halves included), with the troublemakers mixed in often.
const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc
    .array(fc.oneof(fc.string({ unit: 'binary', maxLength: 5 }), fc.constantFrom('\u0000', '\ud800', '\udfff', '\ud83d\ude00', '\ud83d', '\ude00', 'é', '\u2028')), { maxLength: 8 })
    .map((parts) => parts.join('')),
);

/**
 * Whatever text arrives in any text field of any command is either refused by the parser (naming that
 * field) or stored by PostgreSQL and read back unchanged: nothing accepted can jam a course.
 */
describe('text in every command field: refused or stored', () => {
  let db: DataSource;
  let store: EventStore;

  beforeAll(async () => {
    db = await createDataSource(process.env['DATABASE_URL']!, 4).initialize();
    await runMigrations(db);
    store = new EventStore(db);
  });
  afterAll(async () => db?.destroy());

  it('covers the free-text fields', () => {
    expect(TEXT_FIELDS.length).toBeGreaterThan(20);
    expect(TEXT_FIELDS).toContainEqual(['RaiseAlert', 'reason']);
    expect(TEXT_FIELDS).toContainEqual(['ReportAdverseEvent', 'description']);
  });

  it('holds for arbitrary strings', async () => {
    let stream = 0;
    const prefix = `text-prop-${Date.now()}`;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...TEXT_FIELDS), anyText, async ([type, field], text) => {
        const parsed = parseCommandInput({ type, data: { [field]: text } });
        const refusedHere = !parsed.ok && parsed.errors.some((e) => e.field === `data.${field}`);
        if (findUnstorableText(text) !== null) {
          // Unstorable text never passes the parser.
          expect(refusedHere).toBe(true);
          return;
        }
        // Anything else the parser may let through is stored and read back exactly.
        stream += 1;
        const id = `${prefix}-${stream}`;
        await store.append(id, 'test', 0, [{ type: 'TextProbe', schemaVersion: 1, data: { [field]: text }, metadata: meta }]);
        const [stored] = await store.readStream(id);
        expect(stored!.data[field]).toBe(text);
      }),
      { numRuns: 300 },
    );
  });
});
