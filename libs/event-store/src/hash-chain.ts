import { createHash, hash } from 'node:crypto';
import canonicalize from 'canonicalize';

/** The algorithm tag stored beside every hash, so a later algorithm can be introduced without ambiguity. */
export const HASH_ALGORITHM = 'sha256-jcs-v1';
/** The previous hash of a stream's first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** The parts of an event that its hash commits to. */
export type HashedEventFields = {
  streamId: string;
  streamVersion: number;
  eventId: string;
  eventType: string;
  schemaVersion: number;
  data: unknown;
  metadata: unknown;
  prevHash: string;
};

/**
 * SHA-256 over the RFC 8785 canonical JSON of the event and its predecessor's hash. One function for
 * the writer and the verifier: any drift between two copies would show up as false tamper alarms.
 * Values are normalised through a JSON round trip first, which is what a jsonb column hands back.
 */
export const eventHash = (fields: HashedEventFields): string => {
  const normalised = JSON.parse(JSON.stringify({ tag: HASH_ALGORITHM, ...fields })) as unknown;
  const canonical = canonicalize(normalised);
  if (canonical === undefined) throw new Error('event is not serialisable to canonical JSON');
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
};

/**
 * The canonical JSON `canonicalize` gives, written in one pass without a copy, for plain JSON data
 * only: what JSON.parse (so a jsonb column) hands back. Undefined for anything else (undefined, a
 * function, a non-finite number, a class instance, toJSON), where the caller takes the slow path.
 * Strings, numbers and keys are written by JSON.stringify and sorted as `canonicalize` does.
 */
export const canonicalJson = (value: unknown): string | undefined => {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : undefined;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return undefined;
      if (Array.isArray(value)) {
        if (Object.getPrototypeOf(value) !== Array.prototype) return undefined;
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          const item = canonicalJson(value[i]);
          if (item === undefined) return undefined;
          out += i === 0 ? item : `,${item}`;
        }
        return `${out}]`;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) return undefined;
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record);
      // Insertion sort for the usual few keys (`<` on strings is the UTF-16 order sort() uses).
      if (keys.length > 16) keys.sort();
      else for (let i = 1; i < keys.length; i++) {
        const key = keys[i]!;
        let j = i - 1;
        while (j >= 0 && keys[j]! > key) {
          keys[j + 1] = keys[j]!;
          j--;
        }
        keys[j + 1] = key;
      }
      let out = '{';
      for (let i = 0; i < keys.length; i++) {
        const item = canonicalJson(record[keys[i]!]);
        if (item === undefined) return undefined;
        out += (i === 0 ? '' : ',') + JSON.stringify(keys[i]) + ':' + item;
      }
      return out + '}';
    }
    default:
      return undefined;
  }
};

/**
 * `eventHash` for fields read back from the store (data and metadata straight from their jsonb
 * columns): no JSON round trip, one pass. Always the same hash as `eventHash`, which it falls back
 * to for anything `canonicalJson` does not take; the verifier's hot path.
 */
export const storedEventHash = (fields: HashedEventFields): string => {
  const data = canonicalJson(fields.data);
  const metadata = canonicalJson(fields.metadata);
  const version = fields.streamVersion;
  const schema = fields.schemaVersion;
  // Exactly the eight fields (an extra one would be hashed by eventHash): else the slow path.
  if (Object.keys(fields).length !== 8 || data === undefined || metadata === undefined || !Number.isFinite(version) || !Number.isFinite(schema) || typeof fields.streamId !== 'string' ||
      typeof fields.eventId !== 'string' || typeof fields.eventType !== 'string' || typeof fields.prevHash !== 'string') {
    return eventHash(fields);
  }
  // The keys of { tag, ...fields } in sorted order.
  const canonical =
    `{"data":${data},"eventId":${JSON.stringify(fields.eventId)},"eventType":${JSON.stringify(fields.eventType)},"metadata":${metadata},` +
    `"prevHash":${JSON.stringify(fields.prevHash)},"schemaVersion":${JSON.stringify(schema)},"streamId":${JSON.stringify(fields.streamId)},` +
    `"streamVersion":${JSON.stringify(version)},"tag":${JSON.stringify(HASH_ALGORITHM)}}`;
  return hash('sha256', canonical, 'hex');
};

// RFC 4122 name-based (v5) UUID namespace for event ids; fixed forever, changing it breaks idempotency.
const EVENT_ID_NAMESPACE = Buffer.from('6f1c2b0e4a8d4c1f9e3b7d5a2c8e0f13', 'hex');

/**
 * The id of the event at a given stream version. Deterministic, so a retried append activity
 * produces the same ids and the store recognises the retry instead of writing twice.
 */
export const eventIdFor = (streamId: string, streamVersion: number): string => {
  const hash = createHash('sha1').update(EVENT_ID_NAMESPACE).update(`${streamId}/${streamVersion}`, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
};
