import { createHash } from 'node:crypto';

/**
 * RFC 6962 (Certificate Transparency) Merkle tree hashing. Leaves and interior nodes carry different
 * one-byte prefixes so a leaf can never be passed off as a node (second-preimage attack on the tree).
 */
const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** SHA-256(0x00 || data): the hash of one ledger entry. */
export const leafHash = (data: Buffer): Buffer => createHash('sha256').update(LEAF_PREFIX).update(data).digest();

/** SHA-256(0x01 || left || right): the hash of an interior node. */
export const nodeHash = (left: Buffer, right: Buffer): Buffer => createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();

/** The root of the empty tree: SHA-256 of the empty string (RFC 6962 §2.1). */
export const EMPTY_ROOT = createHash('sha256').digest();

/**
 * The right edge of a tree: the roots of its perfect subtrees, largest first, with their sizes.
 * Stored with each checkpoint, so the next one extends the tree from new leaves only.
 */
export type Frontier = { size: number; hash: Buffer }[];

/** Appends leaf hashes to a frontier (a copy is returned; the argument is not changed). */
export const extendFrontier = (frontier: Frontier, leaves: Buffer[]): Frontier => {
  const stack = frontier.map((f) => ({ ...f }));
  for (const leaf of leaves) {
    let node = { size: 1, hash: leaf };
    // Merge equal-sized neighbours: the binary-counter view of a left-filled RFC 6962 tree.
    while (stack.length > 0 && stack[stack.length - 1]!.size === node.size) {
      const left = stack.pop()!;
      node = { size: left.size * 2, hash: nodeHash(left.hash, node.hash) };
    }
    stack.push(node);
  }
  return stack;
};

/** The tree head of a frontier: H(s0, H(s1, ... sk)) right to left, which is RFC 6962's MTH split at powers of two. */
export const frontierRoot = (frontier: Frontier): Buffer => {
  if (frontier.length === 0) return EMPTY_ROOT;
  let root = frontier[frontier.length - 1]!.hash;
  for (let i = frontier.length - 2; i >= 0; i--) root = nodeHash(frontier[i]!.hash, root);
  return root;
};

/** MTH(D[n]) of a list of leaf hashes. */
export const merkleRoot = (leaves: Buffer[]): Buffer => frontierRoot(extendFrontier([], leaves));

const largestPowerOfTwoBelow = (n: number): number => {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
};

/**
 * The audit path of leaf `index` in the tree of `leaves` (RFC 6962 §2.1.1 PATH(m, D[n])), nearest
 * sibling first. Subtree roots are computed with frontiers, so a proof costs one pass over the leaves.
 */
export const inclusionProof = (index: number, leaves: Buffer[]): Buffer[] => {
  if (index < 0 || index >= leaves.length) throw new RangeError('leaf index outside the tree');
  const path: Buffer[] = [];
  let lo = 0;
  let hi = leaves.length;
  while (hi - lo > 1) {
    const k = largestPowerOfTwoBelow(hi - lo);
    if (index - lo < k) {
      path.push(merkleRoot(leaves.slice(lo + k, hi)));
      hi = lo + k;
    } else {
      path.push(merkleRoot(leaves.slice(lo, lo + k)));
      lo += k;
    }
  }
  return path.reverse();
};

/** Recomputes the root from a leaf hash and its audit path (RFC 9162 §2.1.3.2); true when it matches. */
export const verifyInclusion = (index: number, treeSize: number, leaf: Buffer, path: Buffer[], root: Buffer): boolean => {
  if (index < 0 || index >= treeSize) return false;
  let fn = index;
  let sn = treeSize - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.equals(root);
};
