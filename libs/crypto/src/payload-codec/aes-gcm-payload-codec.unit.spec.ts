import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA } from './aes-gcm-payload-codec';
import { loadPayloadKeyring, parsePayloadKeyring } from './payload-keyring';

const keyring = (current: string, ids: Record<string, Buffer>) => ({ current, keys: new Map(Object.entries(ids)) });

describe('AesGcmPayloadCodec', () => {
  const k1 = randomBytes(32);
  const k2 = randomBytes(32);
  const payload = defaultPayloadConverter.toPayload({ patientRef: 'P-2026-0042', caps5: 37 });

  it('encrypts with the current key, names it in the metadata, and round-trips', async () => {
    const codec = new AesGcmPayloadCodec(keyring('k1', { k1 }));
    const [encoded] = await codec.encode([payload]);
    expect(Buffer.from(encoded!.metadata!['encoding']!).toString()).toBe(ENCRYPTED_ENCODING);
    expect(Buffer.from(encoded!.metadata![KEY_ID_METADATA]!).toString()).toBe('k1');
    expect(Buffer.from(encoded!.data!).toString('latin1')).not.toContain('P-2026-0042');
    const [decoded] = await codec.decode([encoded!]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual({ patientRef: 'P-2026-0042', caps5: 37 });
  });

  it('after rotation encrypts with the new key and still reads the old one', async () => {
    const [old] = await new AesGcmPayloadCodec(keyring('k1', { k1 })).encode([payload]);
    const rotated = new AesGcmPayloadCodec(keyring('k2', { k1, k2 }));
    const [fresh] = await rotated.encode([payload]);
    expect(Buffer.from(fresh!.metadata![KEY_ID_METADATA]!).toString()).toBe('k2');
    for (const p of [old!, fresh!]) expect(defaultPayloadConverter.fromPayload((await rotated.decode([p]))[0]!)).toEqual({ patientRef: 'P-2026-0042', caps5: 37 });
  });

  it('refuses a tampered payload, a relabelled key id and an unknown key', async () => {
    const codec = new AesGcmPayloadCodec(keyring('k1', { k1, k2 }));
    const [encoded] = await codec.encode([payload]);
    const tampered = Buffer.from(encoded!.data!);
    tampered[20] = tampered[20]! ^ 1;
    await expect(codec.decode([{ ...encoded!, data: new Uint8Array(tampered) }])).rejects.toThrow();
    const relabelled = { ...encoded!, metadata: { ...encoded!.metadata, [KEY_ID_METADATA]: new Uint8Array(Buffer.from('k2')) } };
    await expect(codec.decode([relabelled])).rejects.toThrow();
    await expect(new AesGcmPayloadCodec(keyring('k2', { k2 })).decode([encoded!])).rejects.toThrow(/unknown key id "k1"/);
  });

  it('passes unencrypted payloads through on decode', async () => {
    expect(await new AesGcmPayloadCodec(keyring('k1', { k1 })).decode([payload])).toEqual([payload]);
  });
});

describe('payload keyring', () => {
  it('generates a key file once at the default path, owner-readable only', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'codec-')), 'keys', 'payload-codec.json');
    const first = loadPayloadKeyring(file, true);
    expect(first.keys.get(first.current)).toHaveLength(32);
    expect(fs.statSync(file).mode & 0o077).toBe(0);
    expect(loadPayloadKeyring(file, true).keys.get('k1')).toEqual(first.keys.get('k1'));
    expect(() => loadPayloadKeyring(path.join(path.dirname(file), 'missing.json'), false)).toThrow();
  });

  it('names what is wrong without echoing key material', () => {
    expect(() => parsePayloadKeyring('{"current":"k2","keys":{"k1":"' + randomBytes(32).toString('base64') + '"}}')).toThrow(/no key "k2"/);
    expect(() => parsePayloadKeyring('{"current":"k1","keys":{"k1":"c2hvcnQ="}}')).toThrow(/must be 32 bytes/);
  });
});
