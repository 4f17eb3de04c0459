import { createHash, hash } from 'node:crypto';

/**
 * RFC 6962 (Certificate Transparency) Merkle tree hashing. Leaves and interior nodes carry different
 * one-byte prefixes so a leaf can never be passed off as a node (second-preimage attack on the tree).
 */
const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** SHA-256(0x00 || data): the hash of one ledger entry. */
export const leafHash = (data: Buffer): Buffer => createHash('sha256').update(LEAF_PREFIX).update(data).digest();

/** `leafHash` of a text's UTF-8 bytes, in one call: U+0000 encodes as the single byte 0x00. */
export const leafHashOfText = (text: string): Buffer => hash('sha256', `\u0000${text}`, 'buffer');

// One-shot crypto.hash over a reused buffer: a node costs one call instead of four (verification hashes n of them).
const nodeInput = Buffer.alloc(65);
nodeInput[0] = NODE_PREFIX[0]!;

/** SHA-256(0x01 || left || right): the hash of an interior node. */
export const nodeHash = (left: Buffer, right: Buffer): Buffer => {
  if (left.length !== 32 || right.length !== 32) return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
  left.copy(nodeInput, 1);
  right.copy(nodeInput, 33);
  return hash('sha256', nodeInput, 'buffer');
};

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

/**
 * A perfect subtree of the tree: level L, index j covers leaves [j·2^L, (j+1)·2^L). Level 0 is a leaf.
 * Every perfect subtree of 2+ leaves is stored (audit.ledger_nodes) once complete; it never changes after.
 */
export type NodeKey = { level: number; index: number };
export type TreeNode = NodeKey & { hash: Buffer };

/** Frontier entries and their place in the tree: the entry of `size` leaves ending at `end` is node (log2 size, end/size - 1). */
const keyOf = (size: number, end: number): NodeKey => ({ level: Math.log2(size), index: end / size - 1 });

/**
 * Like `extendFrontier` from a tree of `treeSize` leaves, and also returns every perfect subtree of
 * 2+ leaves the new leaves complete, in the order they complete (which is node end order).
 */
export const extendFrontierWithNodes = (frontier: Frontier, treeSize: number, leaves: Buffer[]): { frontier: Frontier; nodes: TreeNode[] } => {
  // Entries are never changed, only replaced, so a shallow copy keeps the argument intact.
  const stack = frontier.slice();
  const nodes: TreeNode[] = [];
  let end = treeSize;
  for (const leaf of leaves) {
    end++;
    let size = 1;
    let level = 0;
    let hash = leaf;
    // Merge equal-sized neighbours, as extendFrontier does; each merge completes one stored node.
    while (stack.length > 0 && stack[stack.length - 1]!.size === size) {
      hash = nodeHash(stack.pop()!.hash, hash);
      size *= 2;
      level++;
      nodes.push({ level, index: end / size - 1, hash });
    }
    stack.push({ size, hash });
  }
  return { frontier: stack, nodes };
};

/**
 * Appends an aligned perfect subtree (`size` leaves, a power of two no larger than the frontier's
 * smallest entry) to the frontier of `treeSize` leaves: the binary counter with a higher digit.
 * Returns the nodes the merges complete, as `extendFrontierWithNodes` does.
 */
export const appendSubtree = (frontier: Frontier, treeSize: number, subtree: { size: number; hash: Buffer }): { frontier: Frontier; nodes: TreeNode[] } => {
  const last = frontier[frontier.length - 1];
  if (treeSize % subtree.size !== 0 || (last && last.size < subtree.size)) throw new RangeError('subtree is not aligned to the frontier');
  const stack = frontier.map((f) => ({ ...f }));
  const nodes: TreeNode[] = [];
  const end = treeSize + subtree.size;
  let node = { ...subtree };
  while (stack.length > 0 && stack[stack.length - 1]!.size === node.size) {
    const left = stack.pop()!;
    node = { size: left.size * 2, hash: nodeHash(left.hash, node.hash) };
    nodes.push({ ...keyOf(node.size, end), hash: node.hash });
  }
  stack.push(node);
  return { frontier: stack, nodes };
};

/**
 * The fewest aligned perfect subtrees that exactly cover leaves [from, to), left to right (a compact
 * range). From 0 they are the frontier of a tree of `to` leaves, largest first.
 */
export const perfectSubtrees = (from: number, to: number): NodeKey[] => {
  const keys: NodeKey[] = [];
  let at = from;
  while (at < to) {
    // The largest power of two that divides `at` (any, at 0) and still fits before `to`.
    let size = 1;
    while (at % (size * 2) === 0 && at + size * 2 <= to) size *= 2;
    keys.push(keyOf(size, at + size));
    at += size;
  }
  return keys;
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

/**
 * Which perfect subtrees make up PATH(index, D[treeSize]), nearest sibling first. Each path entry is
 * one subtree, except the sibling on the right edge of the tree, which is the frontier root of a few.
 * So a proof needs O(log n) stored nodes instead of every leaf.
 */
export const inclusionPathNodes = (index: number, treeSize: number): NodeKey[][] => {
  if (index < 0 || index >= treeSize) throw new RangeError('leaf index outside the tree');
  const groups: NodeKey[][] = [];
  let lo = 0;
  let hi = treeSize;
  while (hi - lo > 1) {
    const k = largestPowerOfTwoBelow(hi - lo);
    if (index - lo < k) {
      groups.push(perfectSubtrees(lo + k, hi));
      hi = lo + k;
    } else {
      groups.push([keyOf(k, lo + k)]);
      lo += k;
    }
  }
  return groups.reverse();
};

/** The audit path from the subtrees `inclusionPathNodes` names; `hashOf` returns each one's hash. */
export const composePath = (groups: NodeKey[][], hashOf: (key: NodeKey) => Buffer): Buffer[] =>
  groups.map((group) => frontierRoot(group.map((key) => ({ size: 2 ** key.level, hash: hashOf(key) }))));

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
