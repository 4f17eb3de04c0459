import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A signed tree head in the C2SP tlog-checkpoint note shape: origin, size, base64 root, then the time. */
export type CheckpointNote = { origin: string; treeSize: number; rootHash: Buffer; timestamp: string };

/** The exact bytes that are signed. Line-oriented and free of JSON, so any tool can re-check it. */
export const formatNote = (note: CheckpointNote): string =>
  `${note.origin}\n${note.treeSize}\n${note.rootHash.toString('base64')}\n${note.timestamp}\n`;

/** Parses a note back; null when it is not well formed. */
export const parseNote = (text: string): CheckpointNote | null => {
  const lines = text.split('\n');
  if (lines.length !== 5 || lines[4] !== '') return null;
  const treeSize = Number(lines[1]);
  if (!Number.isSafeInteger(treeSize) || treeSize <= 0) return null;
  return { origin: lines[0]!, treeSize, rootHash: Buffer.from(lines[2]!, 'base64'), timestamp: lines[3]! };
};

/** Signs and checks checkpoints with one Ed25519 key. */
export class CheckpointSigner {
  /** Short id of the public key, stored with each checkpoint so keys can be rotated. */
  readonly keyId: string;
  readonly publicKeyPem: string;

  constructor(private readonly privateKey: KeyObject | null, private readonly publicKey: KeyObject) {
    if (publicKey.asymmetricKeyType !== 'ed25519') throw new Error('the ledger key must be Ed25519');
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    this.keyId = createHash('sha256').update(spki).digest('hex').slice(0, 16);
    this.publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }

  /** Loads a PEM private key; with `generate`, creates the file (0600) first when it does not exist. */
  static fromFile(file: string, generate: boolean): CheckpointSigner {
    if (!fs.existsSync(file)) {
      if (!generate) throw new Error('the ledger signing key file does not exist');
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      const { privateKey } = generateKeyPairSync('ed25519');
      try {
        // 'wx': when the API and the worker start together, the first writer wins and the other reads it.
        fs.writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
    const privateKey = createPrivateKey(fs.readFileSync(file));
    return new CheckpointSigner(privateKey, createPublicKey(privateKey));
  }

  /** A verifier only (an auditor's copy of the public key). */
  static fromPublicKeyPem(pem: string): CheckpointSigner {
    return new CheckpointSigner(null, createPublicKey(pem));
  }

  sign(note: string): string {
    if (!this.privateKey) throw new Error('this signer holds no private key');
    return sign(null, Buffer.from(note, 'utf8'), this.privateKey).toString('base64');
  }

  verify(note: string, signature: string): boolean {
    try {
      return verify(null, Buffer.from(note, 'utf8'), this.publicKey, Buffer.from(signature, 'base64'));
    } catch {
      return false;
    }
  }
}
