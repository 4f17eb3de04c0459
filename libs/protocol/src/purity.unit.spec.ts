import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as api from './index';

/** Production files of the decider (tests and test fixtures excluded). */
const sources = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'testing' ? [] : sources(path);
    return name.endsWith('.ts') && !name.endsWith('.spec.ts') ? [path] : [];
  });

/**
 * Packages the core may import: pure code with no clock, randomness, I/O or globals of its own that a
 * replay could see differently. zod: the command schemas (parsing, JSON Schema), deterministic.
 */
const PURE_PACKAGES = ['zod'];

describe('purity of the protocol core', () => {
  // The decider runs in the Temporal workflow sandbox and in replays: any clock, randomness, I/O or
  // framework import would make a replay decide differently from the original run.
  it.each(sources(__dirname))('%s uses no clock, randomness, I/O or framework', (path) => {
    const code = readFileSync(path, 'utf8');
    expect(code).not.toMatch(/Date\.now\(|new Date\(\)|Math\.random|performance\.now|process\.|setTimeout|setInterval/);
    const imports = [...code.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
    expect(imports.filter((i) => !i!.startsWith('.') && !PURE_PACKAGES.includes(i!))).toEqual([]);
  });

  it('exports the public API from the index', () => {
    for (const name of ['decide', 'evolve', 'initialState', 'availableSteps', 'upcastEvent', 'parseCommandInput', 'COMMAND_TYPES', 'REJECTION_CODES', 'findProtocol', 'listProtocols', 'validateProtocolDefinition', 'EVENT_TYPES']) {
      expect(api).toHaveProperty(name);
    }
  });
});
