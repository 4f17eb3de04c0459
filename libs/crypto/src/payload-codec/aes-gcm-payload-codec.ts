import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { PayloadKeyring } from './payload-keyring';

/** `encoding` metadata of an encrypted payload. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** Metadata naming the key that encrypted a payload, so rotated keys still decrypt old history. */
export const KEY_ID_METADATA = 'encryption-key-id';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));
const text = (b: Uint8Array | null | undefined): string => (b ? Buffer.from(b).toString('utf8') : '');

/** The whole inner payload (metadata included: it names the converter used) as bytes. */
const serialize = (payload: Payload): Buffer =>
  Buffer.from(
    JSON.stringify({
      metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
      data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
    }),
    'utf8',
  );

const deserialize = (bytes: Buffer): Payload => {
  const raw = JSON.parse(bytes.toString('utf8')) as { metadata: Record<string, string>; data: string };
  return {
    metadata: Object.fromEntries(Object.entries(raw.metadata).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))])),
    data: new Uint8Array(Buffer.from(raw.data, 'base64')),
  };
};

/**
 * Encrypts every Temporal payload with AES-256-GCM under the keyring's current key. The key id is
 * authenticated data, so a payload cannot be relabelled to another key. Payloads that are not
 * encrypted pass through on decode (history written before encryption was switched on).
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(private readonly keyring: PayloadKeyring) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const keyId = this.keyring.current;
    const key = this.keyring.keys.get(keyId)!;
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(keyId, 'utf8'));
      const sealed = Buffer.concat([cipher.update(serialize(payload)), cipher.final()]);
      return {
        metadata: { encoding: utf8(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8(keyId) },
        data: new Uint8Array(Buffer.concat([iv, sealed, cipher.getAuthTag()])),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (text(payload.metadata?.['encoding']) !== ENCRYPTED_ENCODING) return payload;
      const keyId = text(payload.metadata?.[KEY_ID_METADATA]);
      const key = this.keyring.keys.get(keyId);
      // The key id is not secret; naming it tells an operator which retired key to restore.
      if (!key) throw new Error(`payload encrypted with unknown key id "${keyId.slice(0, 64)}"`);
      const data = Buffer.from(payload.data ?? new Uint8Array());
      if (data.length < IV_BYTES + TAG_BYTES) throw new Error('encrypted payload is truncated');
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(keyId, 'utf8'));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      return deserialize(Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]));
    });
  }
}
