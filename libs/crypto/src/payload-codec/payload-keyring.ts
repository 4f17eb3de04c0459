import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** AES-256 keys by id; `current` encrypts, every key decrypts (old keys stay readable after rotation). */
export type PayloadKeyring = { current: string; keys: ReadonlyMap<string, Buffer> };

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Parses the key file's JSON: `{"current": "k2", "keys": {"k1": "<base64>", "k2": "<base64>"}}`.
 * Throws a message that names what is wrong, never a key's value.
 */
export const parsePayloadKeyring = (json: string): PayloadKeyring => {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new Error('payload codec key file is not JSON');
  }
  const { current, keys } = (raw ?? {}) as { current?: unknown; keys?: unknown };
  if (typeof current !== 'string' || !KEY_ID.test(current)) throw new Error('payload codec key file: "current" must be a key id');
  if (!keys || typeof keys !== 'object' || Array.isArray(keys)) throw new Error('payload codec key file: "keys" must be an object');
  const map = new Map<string, Buffer>();
  for (const [id, value] of Object.entries(keys as Record<string, unknown>)) {
    const key = typeof value === 'string' ? Buffer.from(value, 'base64') : Buffer.alloc(0);
    if (!KEY_ID.test(id) || key.length !== 32) throw new Error(`payload codec key "${id.slice(0, 64)}" must be 32 bytes in base64`);
    map.set(id, key);
  }
  if (!map.has(current)) throw new Error(`payload codec key file: no key "${current}" for "current"`);
  return { current, keys: map };
};

/**
 * Reads the keyring. With `generate` (only the embedded default's path), a missing file is created
 * with one fresh key, readable by the owner only, like the development token and ledger keys.
 */
export const loadPayloadKeyring = (file: string, generate: boolean): PayloadKeyring => {
  if (!fs.existsSync(file) && generate) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const content = JSON.stringify({ current: 'k1', keys: { k1: randomBytes(32).toString('base64') } }, null, 2);
    // Written aside, then linked into place: the API and the worker start together, and neither may
    // read a half-written file or overwrite the other's key (link fails if the file exists).
    const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    fs.writeFileSync(temp, `${content}\n`, { mode: 0o600, flag: 'wx' });
    try {
      fs.linkSync(temp, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      fs.rmSync(temp, { force: true });
    }
  }
  return parsePayloadKeyring(fs.readFileSync(file, 'utf8'));
};
