import { createHash } from 'node:crypto';
import { EMPTY_ROOT, extendFrontier, frontierRoot, inclusionProof, leafHash, merkleRoot, nodeHash, verifyInclusion } from './merkle';

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
});
