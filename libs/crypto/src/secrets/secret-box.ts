import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { loadPayloadKeyring, type PayloadKeyring } from '../payload-codec/payload-keyring';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const PREFIX = 'v1';

/**
 * Encrypts secrets kept at rest (webhook signing secrets) with AES-256-GCM under the payload codec's
 * keyring, so API and worker share one key file and rotation works the same way. The sealed form is
 * `v1:<key id>:<base64 iv|ciphertext|tag>`; `purpose` is authenticated, so a sealed value cannot be
 * moved to another use.
 */
export class SecretBox {
  constructor(private readonly keyring: PayloadKeyring) {}

  static fromKeyFile(options: { keysFile: string; generateKeys: boolean }): SecretBox {
    return new SecretBox(loadPayloadKeyring(options.keysFile, options.generateKeys));
  }

  seal(plaintext: string, purpose: string): string {
    const keyId = this.keyring.current;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keyring.keys.get(keyId)!, iv);
    cipher.setAAD(Buffer.from(`${keyId}|${purpose}`, 'utf8'));
    const sealed = Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${PREFIX}:${keyId}:${sealed.toString('base64')}`;
  }

  /** Throws (without the value) when the sealed text is malformed, its key is unknown or it was altered. */
  open(sealed: string, purpose: string): string {
    const [prefix, keyId, body] = sealed.split(':');
    const key = keyId ? this.keyring.keys.get(keyId) : undefined;
    if (prefix !== PREFIX || !key || !body) throw new Error('sealed secret is malformed or its key is unknown');
    const bytes = Buffer.from(body, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(`${keyId}|${purpose}`, 'utf8'));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  }
}
