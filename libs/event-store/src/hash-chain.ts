import { createHash } from 'node:crypto';
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
