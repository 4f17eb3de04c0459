import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

/*
 * Reads test/COMPLIANCE.md (conventions in its "How to read" section) and the spec files it cites.
 * A reference is only evidence while it points at something real: a renamed test, a moved file or a
 * deleted function would otherwise leave the map claiming proof that no longer exists.
 */

/** The parts every control section has; "Gap" is optional. */
export const REQUIRED_PARTS = ['Implemented by', 'Proved by', "Procedural (the clinic's)"] as const;
const PART_LABEL = /^\*\*(Requirement|Split|Implemented by|Proved by|Procedural \(the clinic's\)|Gap)\*\*/;

/** Code spans that name a file of the repository (optionally `#name`, text that must be in that file). */
const REPO_PATH = /^((?:\.ci|apps|libs|workflows|test|tools|docker)\/[^\s#`]*|README\.md|jest\.config\.js)(?:#(.+))?$/;
const SPEC_FILE = /^[^\s#`]+\.spec\.ts$/;
/** The spec files some Jest project runs (jest.config.js: the unit and the system project). */
const RUN_BY_JEST = /\.(unit|int|e2e)\.spec\.ts$/;

export type TestRef = { line: number; file: string; titles: string[] };
export type FileRef = { line: number; file: string; name: string | null };
export type Section = {
  heading: string;
  line: number;
  /** The lines of each labelled part, by label. */
  parts: Map<string, { line: number; text: string }[]>;
  testRefs: TestRef[];
};
export type ParsedMap = { sections: Section[]; testRefs: TestRef[]; fileRefs: FileRef[] };

type Span = { text: string; start: number; end: number };

/** Markdown code spans of one line: a run of backticks, the text, the same run again. */
const codeSpans = (line: string): Span[] => {
  const spans: Span[] = [];
  const re = /(`+)([\s\S]*?[^`])\1(?!`)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) {
    const inner = m[2]!;
    // CommonMark strips one space on each side when both are there (how a title starting with ` is written).
    const text = inner.length > 2 && inner.startsWith(' ') && inner.endsWith(' ') ? inner.slice(1, -1) : inner;
    spans.push({ text, start: m.index, end: m.index + m[0].length });
  }
  return spans;
};

/**
 * Test references of one line: a spec file's span followed by one or more `›`-joined spans (describe
 * titles, then the test title), anywhere in the line; and every other span naming a repository file.
 */
export const referencesOfLine = (line: string, lineNo: number): { tests: TestRef[]; files: FileRef[] } => {
  const spans = codeSpans(line);
  const tests: TestRef[] = [];
  const files: FileRef[] = [];
  for (let i = 0; i < spans.length; i++) {
    const span = spans[i]!;
    if (SPEC_FILE.test(span.text)) {
      const titles: string[] = [];
      let j = i + 1;
      while (j < spans.length && /^\s*›\s*$/.test(line.slice(spans[j - 1]!.end, spans[j]!.start))) titles.push(spans[j++]!.text);
      if (titles.length > 0) {
        tests.push({ line: lineNo, file: span.text, titles });
        i = j - 1;
        continue;
      }
    }
    const m = REPO_PATH.exec(span.text);
    if (m) files.push({ line: lineNo, file: m[1]!, name: m[2] ?? null });
  }
  return { tests, files };
};

/** The map's control sections (`###` headings) with their labelled parts, and every reference in the file. */
export const parseMap = (markdown: string): ParsedMap => {
  const sections: Section[] = [];
  const testRefs: TestRef[] = [];
  const fileRefs: FileRef[] = [];
  let section: Section | null = null;
  let part: string | null = null;
  markdown.split('\n').forEach((text, index) => {
    const line = index + 1;
    if (text.startsWith('## ') || text.startsWith('# ')) {
      section = null;
      part = null;
    } else if (text.startsWith('### ')) {
      section = { heading: text.slice(4).trim(), line, parts: new Map(), testRefs: [] };
      sections.push(section);
      part = null;
    }
    const label = PART_LABEL.exec(text);
    if (section && label) {
      part = label[1]!;
      if (!section.parts.has(part)) section.parts.set(part, []);
    }
    if (section && part) section.parts.get(part)!.push({ line, text });
    const refs = referencesOfLine(text, line);
    testRefs.push(...refs.tests);
    fileRefs.push(...refs.files);
    if (section && part === 'Proved by') section.testRefs.push(...refs.tests);
  });
  return { sections, testRefs, fileRefs };
};

// ------------------------------------------------------------------------------- tests in spec files

export type FoundTest = { titles: string[]; skipped: boolean; line: number };

const DESCRIBES = new Set(['describe', 'fdescribe', 'xdescribe']);
const TESTS = new Set(['it', 'test', 'fit', 'xit', 'xtest']);

/**
 * Whether a call's callee is a Jest block (`describe`, `it`, `test`, with modifiers such as `.only`,
 * `.skip`, `.concurrent`, and `.each(table)` or `.each\`table\``), and which.
 */
const jestBlock = (callee: ts.Expression): { kind: 'describe' | 'test'; skipped: boolean } | null => {
  let expression = callee;
  const modifiers: string[] = [];
  // `x.each(table)(title, fn)` and `x.each\`table\`(title, fn)`: the block is the callee of the inner call.
  if (ts.isCallExpression(expression)) expression = expression.expression;
  else if (ts.isTaggedTemplateExpression(expression)) expression = expression.tag;
  while (ts.isPropertyAccessExpression(expression)) {
    modifiers.unshift(expression.name.text);
    expression = expression.expression;
  }
  if (!ts.isIdentifier(expression)) return null;
  const base = expression.text;
  const kind = DESCRIBES.has(base) ? 'describe' : TESTS.has(base) ? 'test' : null;
  if (!kind) return null;
  if (modifiers.some((m) => !['each', 'only', 'skip', 'todo', 'concurrent', 'failing'].includes(m))) return null;
  // A plain call of `.each(...)` builds the block; only the call made with the title is the block.
  if (ts.isPropertyAccessExpression(callee) && callee.name.text === 'each') return null;
  return { kind, skipped: base.startsWith('x') || modifiers.includes('skip') || modifiers.includes('todo') };
};

/** A block's title as written: a string literal's text, a template's source between its backticks. */
const titleOf = (node: ts.Expression | undefined, source: ts.SourceFile): string | null => {
  if (!node) return null;
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node)) return node.getText(source).slice(1, -1);
  return null;
};

/** Every test of a spec file with the titles of the describe blocks around it (outermost first). */
export const collectTests = (fileName: string, text: string): FoundTest[] => {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: FoundTest[] = [];
  const visit = (node: ts.Node, describes: string[], skipped: boolean): void => {
    if (ts.isCallExpression(node)) {
      const block = jestBlock(node.expression);
      if (block) {
        const title = titleOf(node.arguments[0], source) ?? `<not a literal: ${node.arguments[0]?.getText(source) ?? ''}>`;
        const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
        if (block.kind === 'test') {
          found.push({ titles: [...describes, title], skipped: skipped || block.skipped, line });
          return;
        }
        for (const argument of node.arguments.slice(1)) visit(argument, [...describes, title], skipped || block.skipped);
        return;
      }
    }
    ts.forEachChild(node, (child) => visit(child, describes, skipped));
  };
  visit(source, [], false);
  return found;
};

/** Whether `wanted` appears in `within` in order (gaps allowed): describe titles may be left out. */
const isSubsequence = (wanted: readonly string[], within: readonly string[]): boolean => {
  let i = 0;
  for (const title of within) if (i < wanted.length && title === wanted[i]) i++;
  return i === wanted.length;
};

/** The tests a reference names: the last title is the test's own, the others its describes in order. */
export const matchingTests = (ref: Pick<TestRef, 'titles'>, tests: readonly FoundTest[]): FoundTest[] => {
  const name = ref.titles[ref.titles.length - 1]!;
  const describes = ref.titles.slice(0, -1);
  return tests.filter((t) => t.titles[t.titles.length - 1] === name && isSubsequence(describes, t.titles.slice(0, -1)));
};

// ------------------------------------------------------------------------------------------ checks

const quoteTitles = (titles: readonly string[]): string => titles.map((t) => `"${t}"`).join(' › ');

/** Every file reference that no longer holds: a file or folder gone, or a name no longer in its file. */
export const fileProblems = (root: string, refs: readonly FileRef[]): string[] => {
  const problems: string[] = [];
  for (const ref of refs) {
    const where = `COMPLIANCE.md:${ref.line}`;
    const full = path.join(root, ref.file);
    if (!fs.existsSync(full)) {
      problems.push(`${where}: ${ref.file} does not exist`);
      continue;
    }
    if (ref.name === null) continue;
    if (fs.statSync(full).isDirectory()) problems.push(`${where}: ${ref.file} is a folder, so it cannot contain "${ref.name}"`);
    else if (!fs.readFileSync(full, 'utf8').includes(ref.name)) problems.push(`${where}: ${ref.file} no longer contains "${ref.name}"`);
  }
  return problems;
};

/** Every test reference that no longer holds: file gone or not run by Jest, test renamed, moved or skipped. */
export const testProblems = (root: string, refs: readonly TestRef[]): string[] => {
  const problems: string[] = [];
  const cache = new Map<string, FoundTest[]>();
  for (const ref of refs) {
    const where = `COMPLIANCE.md:${ref.line}`;
    const full = path.join(root, ref.file);
    if (!fs.existsSync(full)) {
      problems.push(`${where}: test file ${ref.file} does not exist`);
      continue;
    }
    if (!RUN_BY_JEST.test(ref.file)) problems.push(`${where}: ${ref.file} is not run by any Jest project (*.unit|int|e2e.spec.ts)`);
    if (!cache.has(ref.file)) cache.set(ref.file, collectTests(full, fs.readFileSync(full, 'utf8')));
    const tests = cache.get(ref.file)!;
    const matches = matchingTests(ref, tests);
    if (matches.length === 0) {
      const name = ref.titles[ref.titles.length - 1]!;
      const sameName = tests.filter((t) => t.titles[t.titles.length - 1] === name);
      problems.push(
        sameName.length > 0
          ? `${where}: ${ref.file} has the test "${name}", but not under ${quoteTitles(ref.titles.slice(0, -1))}; it is under ${sameName.map((t) => quoteTitles(t.titles.slice(0, -1))).join(' and ')}`
          : `${where}: ${ref.file} no longer contains a test ${quoteTitles(ref.titles)}`,
      );
    } else if (matches.every((t) => t.skipped)) {
      problems.push(`${where}: ${ref.file} skips the test ${quoteTitles(ref.titles)} (line ${matches[0]!.line}): a skipped test proves nothing`);
    }
  }
  return problems;
};

/**
 * Every listed control present exactly once, and every control section complete: its three parts,
 * and a test under "Proved by" unless the section names a gap or the control is procedural.
 */
export const sectionProblems = (sections: readonly Section[], required: readonly string[]): string[] => {
  const problems: string[] = [];
  const startsWithId = (heading: string, id: string) => heading === id || heading.startsWith(`${id} `) || heading.startsWith(`${id}:`);
  for (const id of required) {
    const found = sections.filter((s) => startsWithId(s.heading, id));
    if (found.length === 0) problems.push(`COMPLIANCE.md: the control "${id}" has no section (a "### ${id} ..." heading)`);
    if (found.length > 1) problems.push(`COMPLIANCE.md: the control "${id}" has ${found.length} sections (lines ${found.map((s) => s.line).join(', ')})`);
  }
  for (const section of sections) {
    const where = `COMPLIANCE.md:${section.line} (${section.heading})`;
    if (!required.some((id) => startsWithId(section.heading, id))) problems.push(`${where}: a section for a control the test does not list (add it to REQUIRED_CONTROLS)`);
    for (const part of REQUIRED_PARTS) if (!section.parts.has(part)) problems.push(`${where}: no "**${part}**" part`);
    const procedural = /\(procedural\)$/.test(section.heading);
    if (section.testRefs.length === 0 && !procedural && !section.parts.has('Gap')) {
      problems.push(`${where}: "Proved by" names no test; say what is missing under "**Gap**", or mark the heading "(procedural)"`);
    }
  }
  return problems;
};
