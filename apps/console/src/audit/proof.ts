import type { InclusionProof } from './types';

/*
 * Re-checks an inclusion proof in the browser, so the auditor need not take the service's word for
 * it: the audit path must lead from the entry's leaf hash to the checkpoint's root (RFC 9162
 * §2.1.3.2, the RFC 6962 tree the ledger uses), and the checkpoint note must carry that root and size
 * and be signed by the key given (Ed25519). WebCrypto exists only in secure contexts (HTTPS or
 * localhost); elsewhere the checks report that they could not run.
 */

export type Check = 'passed' | 'failed' | 'unavailable';

const hexToBytes = (hex: string): Uint8Array<ArrayBuffer> | null => {
  if (!/^([0-9a-f]{2})*$/i.test(hex)) return null;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
};

const bytesToHex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

const base64ToBytes = (b64: string): Uint8Array<ArrayBuffer> | null => {
  try {
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
};

/** SHA-256(0x01 || left || right): an interior node of the tree. */
const nodeHash = async (left: Uint8Array, right: Uint8Array): Promise<Uint8Array<ArrayBuffer>> => {
  const data = new Uint8Array(1 + left.length + right.length);
  data[0] = 0x01;
  data.set(left, 1);
  data.set(right, 1 + left.length);
  return new Uint8Array(await crypto.subtle.digest('SHA-256', data));
};

const subtleAvailable = () => typeof crypto !== 'undefined' && !!crypto.subtle;

/** Whether the audit path leads from the leaf to the root. Halving by division: indexes may pass 2^31. */
export const checkInclusion = async (proof: InclusionProof): Promise<Check> => {
  if (!subtleAvailable()) return 'unavailable';
  if (proof.leafIndex < 0 || proof.leafIndex >= proof.treeSize) return 'failed';
  const leaf = hexToBytes(proof.leafHash);
  if (!leaf) return 'failed';
  let hash: Uint8Array<ArrayBuffer> = leaf;
  let fn = proof.leafIndex;
  let sn = proof.treeSize - 1;
  for (const siblingHex of proof.auditPath) {
    const sibling = hexToBytes(siblingHex);
    if (!sibling || sn === 0) return 'failed';
    if (fn % 2 === 1 || fn === sn) {
      hash = await nodeHash(sibling, hash);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      hash = await nodeHash(hash, sibling);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && bytesToHex(hash) === proof.rootHash.toLowerCase() ? 'passed' : 'failed';
};

/** The checkpoint note's lines: origin, tree size, base64 root, time (C2SP tlog-checkpoint shape). */
export const readNote = (note: string): { origin: string; treeSize: number; rootHex: string | null; timestamp: string } | null => {
  const lines = note.split('\n');
  if (lines.length !== 5 || lines[4] !== '') return null;
  const root = base64ToBytes(lines[2] ?? '');
  return { origin: lines[0] ?? '', treeSize: Number(lines[1]), rootHex: root ? bytesToHex(root) : null, timestamp: lines[3] ?? '' };
};

/** Whether the note names the proof's root and size and its signature verifies with the given public key. */
export const checkCheckpoint = async (proof: InclusionProof): Promise<Check> => {
  const note = readNote(proof.checkpoint.signedNote);
  if (!note || note.treeSize !== proof.treeSize || note.rootHex !== proof.rootHash.toLowerCase()) return 'failed';
  if (!subtleAvailable()) return 'unavailable';
  const der = base64ToBytes(proof.checkpoint.publicKey.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''));
  const signature = base64ToBytes(proof.checkpoint.signature);
  if (!der || !signature) return 'failed';
  try {
    const key = await crypto.subtle.importKey('spki', der, { name: 'Ed25519' }, false, ['verify']);
    return (await crypto.subtle.verify({ name: 'Ed25519' }, key, signature, new TextEncoder().encode(proof.checkpoint.signedNote))) ? 'passed' : 'failed';
  } catch {
    // Older browsers have no Ed25519 in WebCrypto: say the check could not run, not that it failed.
    return 'unavailable';
  }
};
