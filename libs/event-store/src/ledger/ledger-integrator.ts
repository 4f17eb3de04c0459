import type { DataSource, QueryRunner } from 'typeorm';
import { CheckpointSigner, formatNote } from './checkpoint-signer';
import { accessLeafHash, eventLeafHash, type AccessRow } from './ledger-entry';
import { extendFrontierWithNodes, frontierRoot, type Frontier, type TreeNode } from './merkle';

// Only one integrator may append leaves at a time: two would number leaves twice. Any constant works
// as long as every process uses the same one (the ledger-nodes migration takes it too).
export const LEDGER_LOCK = 7_420_191;

export type IntegrationResult = { integrated: number; treeSize: number; rootHash: string | null; skipped: boolean };
type BatchResult = IntegrationResult & { more: boolean };

type StoredFrontier = { size: number; hash: string }[];

const toFrontier = (stored: StoredFrontier): Frontier => stored.map((f) => ({ size: f.size, hash: Buffer.from(f.hash, 'hex') }));
const fromFrontier = (frontier: Frontier): StoredFrontier => frontier.map((f) => ({ size: f.size, hash: f.hash.toString('hex') }));

/** The xmin rule (STYLE.md §2): rows of transactions still running are left for the next run. */
export const SAFE_HORIZON = `pg_snapshot_xmin(pg_current_snapshot())`;

/**
 * Appends every event and read-access row committed since the last run to the ledger, in xmin-safe
 * order, and signs a checkpoint over the whole tree. Leaves, the tree nodes they complete and the
 * checkpoint are written in one transaction. Returns at once (skipped) when another process holds the integrator lock.
 */
export const integrateLedger = async (
  db: DataSource,
  signer: CheckpointSigner,
  options: { origin: string; batchSize?: number; clock?: () => Date },
): Promise<IntegrationResult> => {
  const batchSize = options.batchSize ?? 5000;
  let total = 0;
  let last: IntegrationResult = { integrated: 0, treeSize: 0, rootHash: null, skipped: false };
  for (;;) {
    const runner = db.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      const result = await integrateBatch(runner, signer, options.origin, batchSize, options.clock ?? (() => new Date()));
      await runner.commitTransaction();
      if (result.skipped) return { integrated: total, treeSize: result.treeSize, rootHash: result.rootHash, skipped: true };
      total += result.integrated;
      last = result;
      if (!result.more) return { integrated: total, treeSize: last.treeSize, rootHash: last.rootHash, skipped: false };
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      throw error;
    } finally {
      await runner.release();
    }
  }
};

/** Writes completed subtrees to audit.ledger_nodes (in the caller's transaction), a few thousand rows a statement. */
export const insertNodes = async (runner: QueryRunner, nodes: TreeNode[]): Promise<void> => {
  for (let at = 0; at < nodes.length; at += 10_000) {
    const chunk = nodes.slice(at, at + 10_000);
    await runner.query(
      `INSERT INTO audit.ledger_nodes (level, node_index, hash)
       SELECT u.level, u.node_index, decode(u.hash, 'hex') FROM unnest($1::smallint[], $2::bigint[], $3::text[]) AS u (level, node_index, hash)`,
      [chunk.map((n) => n.level), chunk.map((n) => n.index), chunk.map((n) => n.hash.toString('hex'))],
    );
  }
};

const lastCursor = async (runner: QueryRunner, source: string): Promise<{ txid: string; position: string }> => {
  const rows = (await runner.query(
    `SELECT source_transaction_id::text AS txid, source_position::text AS position
       FROM audit.ledger_leaves WHERE source = $1 ORDER BY leaf_index DESC LIMIT 1`,
    [source],
  )) as { txid: string; position: string }[];
  return rows[0] ?? { txid: '0', position: '0' };
};

const integrateBatch = async (runner: QueryRunner, signer: CheckpointSigner, origin: string, batchSize: number, clock: () => Date): Promise<BatchResult> => {
  const [lock] = (await runner.query('SELECT pg_try_advisory_xact_lock($1) AS ok', [LEDGER_LOCK])) as { ok: boolean }[];
  if (!lock?.ok) return { integrated: 0, treeSize: 0, rootHash: null, skipped: true, more: false };

  const [head] = (await runner.query(`SELECT tree_size::text AS size, root_hash, frontier FROM audit.checkpoints ORDER BY tree_size DESC LIMIT 1`)) as {
    size: string;
    root_hash: string;
    frontier: StoredFrontier;
  }[];
  // The next leaf index, from the primary key (O(log n); a count of the leaves grew with the log).
  const [last] = (await runner.query(`SELECT COALESCE(max(leaf_index) + 1, 0)::text AS n FROM audit.ledger_leaves`)) as { n: string }[];
  const treeSize = head ? Number(head.size) : 0;
  if (Number(last?.n ?? 0) !== treeSize) {
    // Leaves and checkpoints are written together, so this only happens if someone wrote around us.
    throw new Error(`ledger leaves end at index ${Number(last?.n ?? 0) - 1} but the last checkpoint covers ${treeSize}; run verification`);
  }
  let frontier: Frontier = head ? toFrontier(head.frontier) : [];

  const eventCursor = await lastCursor(runner, 'event');
  const events = (await runner.query(
    `SELECT global_position::text AS position, transaction_id::text AS txid, stream_id, stream_version::int AS version, hash
       FROM es.events
      WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint) AND transaction_id < ${SAFE_HORIZON}
      ORDER BY transaction_id, global_position LIMIT $3`,
    [eventCursor.txid, eventCursor.position, batchSize],
  )) as { position: string; txid: string; stream_id: string; version: number; hash: string }[];
  const accessCursor = await lastCursor(runner, 'access');
  const accesses = (await runner.query(
    `SELECT access_id::text AS access_id, transaction_id::text AS txid, accessed_at, actor_id, actor_name, actor_role, actor_site,
            action, resource, course_id, query, outcome, correlation_id
       FROM audit.access_log
      WHERE (transaction_id, access_id) > ($1::xid8, $2::bigint) AND transaction_id < ${SAFE_HORIZON}
      ORDER BY transaction_id, access_id LIMIT $3`,
    [accessCursor.txid, accessCursor.position, batchSize],
  )) as (AccessRow & { txid: string })[];

  const leaves = [
    ...events.map((e) => ({ source: 'event', position: e.position, txid: e.txid, hash: eventLeafHash(e.position, e.stream_id, e.version, e.hash) })),
    ...accesses.map((a) => ({ source: 'access', position: a.access_id, txid: a.txid, hash: accessLeafHash(a) })),
  ];
  if (leaves.length === 0) return { integrated: 0, treeSize, rootHash: head?.root_hash ?? null, skipped: false, more: false };

  await runner.query(
    `INSERT INTO audit.ledger_leaves (leaf_index, source, source_position, source_transaction_id, leaf_hash)
     SELECT $1::bigint + u.ord - 1, u.source, u.position, u.txid, u.hash
       FROM unnest($2::text[], $3::bigint[], $4::xid8[], $5::text[]) WITH ORDINALITY AS u (source, position, txid, hash, ord)`,
    [treeSize, leaves.map((l) => l.source), leaves.map((l) => l.position), leaves.map((l) => l.txid), leaves.map((l) => l.hash.toString('hex'))],
  );
  // The subtrees these leaves complete, in the same transaction: a proof never finds a leaf without its nodes.
  const step = extendFrontierWithNodes(
    frontier,
    treeSize,
    leaves.map((l) => l.hash),
  );
  await insertNodes(runner, step.nodes);
  frontier = step.frontier;
  const newSize = treeSize + leaves.length;
  const root = frontierRoot(frontier);
  const note = formatNote({ origin, treeSize: newSize, rootHash: root, timestamp: clock().toISOString() });
  await runner.query(
    `INSERT INTO audit.checkpoints (tree_size, root_hash, frontier, signed_note, key_id, signature) VALUES ($1, $2, $3, $4, $5, $6)`,
    [newSize, root.toString('hex'), JSON.stringify(fromFrontier(frontier)), note, signer.keyId, signer.sign(note)],
  );
  return {
    integrated: leaves.length,
    treeSize: newSize,
    rootHash: root.toString('hex'),
    skipped: false,
    more: events.length === batchSize || accesses.length === batchSize,
  };
};
