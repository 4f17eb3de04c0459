import * as fs from 'node:fs';
import * as path from 'node:path';
import { collectTests, fileProblems, matchingTests, parseMap, referencesOfLine, sectionProblems, testProblems } from './compliance-map';

const ROOT = path.resolve(__dirname, '../..');
const MAP_FILE = path.join(ROOT, 'test/COMPLIANCE.md');

/**
 * The controls the map must keep, each the start of a `###` heading: a control whose section is
 * deleted or renamed fails here instead of silently leaving the evidence.
 */
const REQUIRED_CONTROLS = [
  // 21 CFR Part 11
  '§11.10(a)',
  '§11.10(b)',
  '§11.10(c)',
  '§11.10(d)',
  '§11.10(e)',
  '§11.10(f)',
  '§11.10(g)',
  '§11.10(h)',
  '§11.10(i)',
  '§11.10(j)',
  '§11.10(k)',
  '§11.50',
  '§11.70',
  '§11.100',
  '§11.200',
  '§11.300',
  // HIPAA Security Rule
  '§164.312(a) unique user identification',
  '§164.312(a) emergency access procedure',
  '§164.312(a) automatic logoff',
  '§164.312(a) encryption and decryption',
  '§164.312(b)',
  '§164.312(c)',
  '§164.312(d)',
  '§164.312(e)',
  // ICH E6(R3): the audit-trail list of Annex 1 §4.2.x, then §4.2.3-4.2.5
  ...Array.from({ length: 11 }, (_, i) => `E6(R3)-${i + 1}`),
  // ALCOA+
  ...['attributable', 'legible', 'contemporaneous', 'original', 'accurate', 'complete', 'consistent', 'enduring', 'available'].map((a) => `ALCOA+ ${a}`),
];

describe('compliance map (test/COMPLIANCE.md)', () => {
  const map = parseMap(fs.readFileSync(MAP_FILE, 'utf8'));

  it('lists every control, each once, with what implements it, what proves it and what is left to the clinic', () => {
    expect(sectionProblems(map.sections, REQUIRED_CONTROLS)).toEqual([]);
    expect(map.sections).toHaveLength(REQUIRED_CONTROLS.length);
  });

  it('references only files that exist, and names that are in them', () => {
    expect(map.fileRefs.length).toBeGreaterThan(100);
    expect(fileProblems(ROOT, map.fileRefs)).toEqual([]);
  });

  it('references only tests that exist under the describe titles given, are not skipped, and run in a Jest project', () => {
    expect(map.testRefs.length).toBeGreaterThan(150);
    expect(testProblems(ROOT, map.testRefs)).toEqual([]);
  });
});

describe('compliance map checker', () => {
  const spec = `
    describe('outer', () => {
      it('plain', () => undefined);
      it("double 'quoted'", () => undefined);
      it('escaped \\'quote\\'', () => undefined);
      describe.each(routes)('%s', (route) => {
        it.each(roles)('%s of the %s site', async () => undefined);
        it.skip('skipped', () => undefined);
      });
      test.each\`a | b\`('$a with $b', () => undefined);
      for (const s of scenarios) it(\`\${s.name}: replays\`, () => undefined);
    });
    xdescribe('off', () => { it('inside', () => undefined); });
    expect(thing).toBe(1);
  `;
  const tests = collectTests('fixture.unit.spec.ts', spec);

  it('finds tests with their describe titles, in .each blocks and loops too, and marks skipped ones', () => {
    expect(tests.map((t) => [t.titles, t.skipped])).toEqual([
      [['outer', 'plain'], false],
      [['outer', "double 'quoted'"], false],
      [['outer', "escaped 'quote'"], false],
      [['outer', '%s', '%s of the %s site'], false],
      [['outer', '%s', 'skipped'], true],
      [['outer', '$a with $b'], false],
      [['outer', '${s.name}: replays'], false],
      [['off', 'inside'], true],
    ]);
  });

  it('matches a reference by its test title and any of its describe titles, in order', () => {
    expect(matchingTests({ titles: ['%s of the %s site'] }, tests)).toHaveLength(1);
    expect(matchingTests({ titles: ['outer', '%s', '%s of the %s site'] }, tests)).toHaveLength(1);
    expect(matchingTests({ titles: ['%s', 'outer', '%s of the %s site'] }, tests)).toHaveLength(0);
    expect(matchingTests({ titles: ['off', 'plain'] }, tests)).toHaveLength(0);
  });

  it('reads references anywhere in a line: a spec file joined by › to titles, and repository paths with a name', () => {
    const line =
      'see `libs/x.unit.spec.ts` › `outer` › `plain` and `apps/api/src/a.ts#fn`, not `/audit/verify` or `data.signature`; ``a `tick` title`` alone';
    expect(referencesOfLine(line, 7)).toEqual({
      tests: [{ line: 7, file: 'libs/x.unit.spec.ts', titles: ['outer', 'plain'] }],
      files: [{ line: 7, file: 'apps/api/src/a.ts', name: 'fn' }],
    });
  });

  it('names every broken reference: a missing file, a name gone from a file, a renamed, moved or skipped test', () => {
    const here = 'test/compliance/compliance-map.unit.spec.ts';
    // Joined here, so the name itself is written nowhere in this file.
    const absent = ['absent', 'name'].join('~');
    expect(fileProblems(ROOT, [{ line: 1, file: 'apps/nowhere.ts', name: null }, { line: 2, file: here, name: absent }, { line: 3, file: 'test/compliance', name: 'x' }])).toEqual([
      'COMPLIANCE.md:1: apps/nowhere.ts does not exist',
      `COMPLIANCE.md:2: ${here} no longer contains "${absent}"`,
      'COMPLIANCE.md:3: test/compliance is a folder, so it cannot contain "x"',
    ]);
    const problems = testProblems(ROOT, [
      { line: 3, file: 'test/e2e/nowhere.e2e.spec.ts', titles: ['x'] },
      { line: 4, file: here, titles: ['a test that is not here'] },
      { line: 5, file: here, titles: ['compliance map checker', 'lists every control, each once, with what implements it, what proves it and what is left to the clinic'] },
    ]);
    expect(problems).toEqual([
      'COMPLIANCE.md:3: test file test/e2e/nowhere.e2e.spec.ts does not exist',
      `COMPLIANCE.md:4: ${here} no longer contains a test "a test that is not here"`,
      expect.stringMatching(/^COMPLIANCE\.md:5: .* has the test "lists every control, .*", but not under "compliance map checker"; it is under "compliance map \(test\/COMPLIANCE\.md\)"$/),
    ]);
  });

  it('fails a section without its parts or without a test, unless it names a gap or is procedural', () => {
    const parsed = parseMap(
      [
        '### §1 complete',
        '**Implemented by**',
        '**Proved by**',
        '- `test/compliance/compliance-map.unit.spec.ts` › `x`',
        "**Procedural (the clinic's)**",
        '### §2 with a gap',
        '**Implemented by**',
        '**Proved by**',
        "**Procedural (the clinic's)**",
        '**Gap**',
        '### §3 training (procedural)',
        '**Implemented by**',
        '**Proved by**',
        "**Procedural (the clinic's)**",
        '### §4 unproved',
        '**Implemented by**',
        '**Proved by**',
        "**Procedural (the clinic's)**",
        '### §5 bare',
      ].join('\n'),
    );
    expect(sectionProblems(parsed.sections, ['§1', '§2', '§3', '§4', '§5', '§6'])).toEqual([
      'COMPLIANCE.md: the control "§6" has no section (a "### §6 ..." heading)',
      'COMPLIANCE.md:15 (§4 unproved): "Proved by" names no test; say what is missing under "**Gap**", or mark the heading "(procedural)"',
      'COMPLIANCE.md:19 (§5 bare): no "**Implemented by**" part',
      'COMPLIANCE.md:19 (§5 bare): no "**Proved by**" part',
      `COMPLIANCE.md:19 (§5 bare): no "**Procedural (the clinic's)**" part`,
      'COMPLIANCE.md:19 (§5 bare): "Proved by" names no test; say what is missing under "**Gap**", or mark the heading "(procedural)"',
    ]);
  });
});
