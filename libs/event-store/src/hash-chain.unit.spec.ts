import canonicalize from 'canonicalize';
import { canonicalJson, eventHash, GENESIS_HASH, storedEventHash, type HashedEventFields } from './hash-chain';

/** Values as awkward as JSON gets: what a jsonb column can hand back, and what only a writer could pass. */
const plainValues: unknown[] = [
  null, true, false, 0, -0, 1, -1, 0.1, 1e21, 1e-7, 123456789012345680000, 5e-324, Number.MAX_SAFE_INTEGER, 2 ** 53 + 2, -1.5e300,
  '', 'plain', 'é ü ß 漢字 🙂', '\u0000\u001f\u007f', '"quoted" \\ back\nslash\t', '\u2028\u2029', '\ud800 lone', '\udc00', '🙂'.slice(0, 1),
  [], [[]], [1, [2, [3, [4, []]]]], [null, true, 'x', 1e21, -0],
  {}, { b: 1, a: 2, B: 3, _: 4, '': 5, '10': 6, '9': 7, é: 8, '🙂': 9, 'ﬀ': 10, '\u0080': 11 },
  { nested: { z: [{ y: 1, x: [{}] }], a: { c: { b: { a: 'deep' } } } }, list: [{ b: 2, a: 1 }, { a: 1, b: 2 }] },
  JSON.parse('{"__proto__": {"x": 1}, "toJSON": 5, "constructor": "c"}'),
  { n: 1e21, m: -0, big: Number('12345678901234567890'), tiny: 1e-300, frac: 1 / 3 },
  Object.assign(Object.create(null), { b: 1, a: 2 }),
];
const otherValues: unknown[] = [
  { a: undefined, b: 1 }, [undefined, 1], new Array(3).fill(1, 0, 1), { d: new Date('2026-01-01T00:00:00Z') }, { f: () => 1 }, { s: Symbol('s') }, [Symbol('s')],
  { x: NaN }, { x: Infinity }, new (class K { a = 1; })(), { toJSON: () => ({ replaced: true }) },
  new Map([['a', 1]]), Buffer.from('ab'), new String('boxed'),
];

const fields = (data: unknown, metadata: unknown = { actor: { id: 'u-1' } }): HashedEventFields => ({
  streamId: 'course-ü/1', streamVersion: 7, eventId: '6f1c2b0e-4a8d-5c1f-9e3b-7d5a2c8e0f13', eventType: 'Something', schemaVersion: 1, data, metadata, prevHash: GENESIS_HASH,
});
const same = (f: () => string, g: () => string) => {
  let a: string | Error;
  let b: string | Error;
  try { a = f(); } catch (e) { a = e as Error; }
  try { b = g(); } catch (e) { b = e as Error; }
  if (a instanceof Error || b instanceof Error) expect(String(a)).toBe(String(b));
  else expect(a).toBe(b);
};

describe('storedEventHash: the verifier\'s fast path', () => {
  it('writes the same canonical JSON as canonicalize for plain data, and declines everything else', () => {
    for (const v of plainValues) expect(canonicalJson(v)).toBe(canonicalize(v));
    for (const v of plainValues) expect(canonicalJson(JSON.parse(JSON.stringify(v)))).toBe(canonicalize(JSON.parse(JSON.stringify(v))));
    for (const v of otherValues) expect(canonicalJson(v)).toBeUndefined();
  });

  it('gives the hash eventHash gives, on plain data, on what a jsonb column returns, and on anything else', () => {
    for (const data of [...plainValues, ...otherValues]) {
      for (const metadata of [{ actor: { id: 'u-1' } }, data]) {
        same(() => storedEventHash(fields(data, metadata)), () => eventHash(fields(data, metadata)));
        const parsed = (v: unknown) => (v === undefined ? v : JSON.parse(JSON.stringify(v) ?? 'null'));
        same(() => storedEventHash(fields(parsed(data), parsed(metadata))), () => eventHash(fields(parsed(data), parsed(metadata))));
      }
    }
    // Odd field values and extra fields take the slow path with the same result.
    for (const odd of [{ streamVersion: -0 }, { streamVersion: 1.5 }, { schemaVersion: NaN }, { streamId: 5 }, { extra: 'x' }] as Partial<HashedEventFields>[]) {
      same(() => storedEventHash({ ...fields({ a: 1 }), ...odd }), () => eventHash({ ...fields({ a: 1 }), ...odd }));
    }
  });

  it('agrees with eventHash on random nested data', () => {
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const chars = ['a', 'Z', 'é', '漢', '🙂', '\ud800', '"', '\\', '\n', '\u0001', '0', '~'];
    const str = () => Array.from({ length: Math.floor(rnd() * 6) }, () => chars[Math.floor(rnd() * chars.length)]).join('');
    const num = () => [0, -0, 1e21, 1e-7, rnd() * 1e6, -rnd(), Math.floor(rnd() * 1e15), 2 ** 60][Math.floor(rnd() * 8)]!;
    const gen = (depth: number): unknown => {
      const r = rnd();
      if (depth > 3 || r < 0.3) return [null, true, false, num(), str()][Math.floor(rnd() * 5)];
      if (r < 0.6) return Array.from({ length: Math.floor(rnd() * 4) }, () => gen(depth + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 5) }, () => [str(), gen(depth + 1)]));
    };
    for (let i = 0; i < 500; i++) {
      const data = gen(0);
      const metadata = gen(0);
      expect(storedEventHash(fields(data, metadata))).toBe(eventHash(fields(data, metadata)));
    }
  });
});
