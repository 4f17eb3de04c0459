import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { eventLeafHash } from './ledger-entry';
import {
  appendSubtree,
  composePath,
  EMPTY_ROOT,
  extendFrontier,
  extendFrontierWithNodes,
  frontierRoot,
  inclusionPathNodes,
  inclusionProof,
  leafHash,
  leafHashOfText,
  merkleRoot,
  nodeHash,
  perfectSubtrees,
  verifyInclusion,
  type NodeKey,
} from './merkle';

/** RFC 6962's definition, written out recursively as the reference the fast versions must match. */
const referenceRoot = (leaves: Buffer[]): Buffer => {
  if (leaves.length === 0) return createHash('sha256').digest();
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(referenceRoot(leaves.slice(0, k)), referenceRoot(leaves.slice(k)));
};

const leaves = (n: number) => Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`entry ${i}`)));

describe('RFC 6962 Merkle tree', () => {
  it('hashes leaves and nodes with distinct prefixes', () => {
    expect(leafHash(Buffer.alloc(0)).toString('hex')).toBe('6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
    expect(EMPTY_ROOT.toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('hashes a leaf of text in one call exactly as over its UTF-8 bytes, and event leaves as canonical JSON', () => {
    for (const text of ['', 'a', '["event","12","course-ü",3,"ab"]', '漢字 🙂', '\ud800 lone', '\u0000x']) {
      expect(leafHashOfText(text).equals(leafHash(Buffer.from(text, 'utf8')))).toBe(true);
    }
    for (const [position, stream, version] of [['1', 'course-1', 1], ['9007199254740993', 'c"q\\u🙂', 2 ** 40], ['7', '\ud800', 0]] as const) {
      const slow = leafHash(Buffer.from(canonicalize(['event', position, stream, version, 'f'.repeat(64)])!, 'utf8'));
      expect(eventLeafHash(position, stream, version, 'f'.repeat(64)).equals(slow)).toBe(true);
    }
  });

  it('matches the recursive definition for every size up to 70, and frontiers extend incrementally', () => {
    for (let n = 0; n <= 70; n++) {
      const l = leaves(n);
      expect(merkleRoot(l).equals(referenceRoot(l))).toBe(true);
      const half = Math.floor(n / 2);
      expect(frontierRoot(extendFrontier(extendFrontier([], l.slice(0, half)), l.slice(half))).equals(referenceRoot(l))).toBe(true);
    }
  });

  it('produces inclusion proofs that verify, and fail for another leaf, index or root', () => {
    for (const n of [1, 2, 3, 5, 8, 13, 33]) {
      const l = leaves(n);
      const root = merkleRoot(l);
      for (let i = 0; i < n; i++) {
        const proof = inclusionProof(i, l);
        expect(verifyInclusion(i, n, l[i]!, proof, root)).toBe(true);
        expect(verifyInclusion(i, n, leafHash(Buffer.from('forged')), proof, root)).toBe(false);
        if (n > 1) expect(verifyInclusion((i + 1) % n, n, l[i]!, proof, root)).toBe(false);
      }
    }
  });

  /** Every perfect subtree of 2+ leaves, as the integrator stores them, keyed level:index. */
  const nodesOf = (l: Buffer[], chunk: number) => {
    const nodes = new Map<string, Buffer>();
    let frontier: ReturnType<typeof extendFrontier> = [];
    for (let at = 0; at < l.length; at += chunk) {
      const step = extendFrontierWithNodes(frontier, at, l.slice(at, at + chunk));
      frontier = step.frontier;
      for (const n of step.nodes) nodes.set(`${n.level}:${n.index}`, n.hash);
    }
    return { nodes, frontier };
  };

  it('stores exactly the complete perfect subtrees, whatever the batches, with their RFC 6962 hashes', () => {
    for (let n = 1; n <= 70; n++) {
      const l = leaves(n);
      const { nodes, frontier } = nodesOf(l, n);
      let expected = 0;
      for (let size = 2; size <= n; size *= 2) {
        for (let j = 0; (j + 1) * size <= n; j++) {
          expected++;
          expect(nodes.get(`${Math.log2(size)}:${j}`)?.equals(referenceRoot(l.slice(j * size, (j + 1) * size)))).toBe(true);
        }
      }
      expect(nodes.size).toBe(expected);
      expect(frontierRoot(frontier).equals(referenceRoot(l))).toBe(true);
      for (const chunk of [1, 3, 7]) expect([...nodesOf(l, chunk).nodes]).toEqual([...nodes]);
    }
  });

  it('composes every audit path from O(log n) stored subtrees, identical to the one-pass proof', () => {
    for (let n = 1; n <= 70; n++) {
      const l = leaves(n);
      const { nodes } = nodesOf(l, 5);
      const hashOf = (k: NodeKey) => (k.level === 0 ? l[k.index]! : nodes.get(`${k.level}:${k.index}`)!);
      for (let i = 0; i < n; i++) {
        const groups = inclusionPathNodes(i, n);
        expect(groups.flat().length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(n + 1)));
        expect(composePath(groups, hashOf).map((h) => h.toString('hex'))).toEqual(inclusionProof(i, l).map((h) => h.toString('hex')));
      }
    }
  });

  it('covers any range with aligned subtrees, and extends a frontier by them', () => {
    for (let n = 1; n <= 40; n++) {
      const l = leaves(n);
      const { nodes } = nodesOf(l, n);
      const hashOf = (k: NodeKey) => (k.level === 0 ? l[k.index]! : nodes.get(`${k.level}:${k.index}`)!);
      for (let from = 0; from <= n; from++) {
        const keys = perfectSubtrees(from, n);
        let at = from;
        for (const k of keys) {
          expect(k.index * 2 ** k.level).toBe(at);
          at += 2 ** k.level;
        }
        expect(at).toBe(n);
        // The frontier of `from` leaves, then the range's subtrees appended: the tree of n leaves.
        let frontier = perfectSubtrees(0, from).map((k) => ({ size: 2 ** k.level, hash: hashOf(k) }));
        let size = from;
        for (const k of keys) {
          const step = appendSubtree(frontier, size, { size: 2 ** k.level, hash: hashOf(k) });
          for (const node of step.nodes) expect(node.hash.equals(nodes.get(`${node.level}:${node.index}`)!)).toBe(true);
          frontier = step.frontier;
          size += 2 ** k.level;
        }
        expect(frontierRoot(frontier).equals(referenceRoot(l))).toBe(true);
      }
    }
  });
});
