import type { DataSource } from 'typeorm';
import type { NodeKey } from './merkle';

/** A number, not a string: verification looks up one per leaf (exact while index < 2^47). */
export const nodeKey = (k: NodeKey): number => k.index * 64 + k.level;

/**
 * The stored hashes of some perfect subtrees, by `nodeKey`: level 0 from audit.ledger_leaves, the
 * others from audit.ledger_nodes, one indexed lookup each. A subtree not stored is absent. Hex text
 * both ways, so a malformed stored leaf hash reads as a wrong hash, not as a failing query.
 */
export const readStoredNodes = async (db: DataSource, keys: NodeKey[]): Promise<Map<number, Buffer>> => {
  const unique = [...new Map(keys.map((k) => [nodeKey(k), k])).values()];
  const found = new Map<number, Buffer>();
  for (let at = 0; at < unique.length; at += 10_000) {
    const chunk = unique.slice(at, at + 10_000);
    const rows = (await db.query(
      `SELECT u.level, u.idx::text AS idx,
              CASE WHEN u.level = 0 THEN (SELECT l.leaf_hash FROM audit.ledger_leaves l WHERE l.leaf_index = u.idx)
                   ELSE (SELECT encode(n.hash, 'hex') FROM audit.ledger_nodes n WHERE n.level = u.level AND n.node_index = u.idx) END AS hash
         FROM unnest($1::smallint[], $2::bigint[]) AS u (level, idx)`,
      [chunk.map((k) => k.level), chunk.map((k) => k.index)],
    )) as { level: number; idx: string; hash: string | null }[];
    for (const r of rows) if (r.hash !== null) found.set(Number(r.idx) * 64 + r.level, Buffer.from(r.hash, 'hex'));
  }
  return found;
};

/** The stored nodes that end inside leaves (from, to]: every node a pass over those leaves completes. */
export const readNodesEndingIn = async (db: DataSource, from: number, to: number): Promise<Map<number, Buffer>> => {
  const levels: number[] = [];
  const lows: number[] = [];
  const highs: number[] = [];
  for (let level = 1, size = 2; size <= to; level++, size *= 2) {
    // Node j ends at (j+1)·size.
    const lo = Math.floor(from / size);
    const hi = Math.floor(to / size) - 1;
    if (hi < lo) continue;
    levels.push(level);
    lows.push(lo);
    highs.push(hi);
  }
  const found = new Map<number, Buffer>();
  if (levels.length === 0) return found;
  const rows = (await db.query(
    // LATERAL with a LIMIT: one primary-key range scan per level, never a scan of the whole table.
    `SELECT n.level, n.node_index::text AS idx, n.hash
       FROM unnest($1::smallint[], $2::bigint[], $3::bigint[]) AS r (level, lo, hi)
      CROSS JOIN LATERAL (SELECT level, node_index, hash FROM audit.ledger_nodes
                           WHERE level = r.level AND node_index BETWEEN r.lo AND r.hi ORDER BY node_index LIMIT r.hi - r.lo + 1) n`,
    [levels, lows, highs],
  )) as { level: number; idx: string; hash: Buffer }[];
  for (const r of rows) found.set(Number(r.idx) * 64 + r.level, r.hash);
  return found;
};
