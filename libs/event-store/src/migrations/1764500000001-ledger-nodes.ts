import type { MigrationInterface, QueryRunner } from 'typeorm';
import { LEDGER_LOCK, insertNodes } from '../ledger/ledger-integrator';
import { extendFrontierWithNodes, type Frontier } from '../ledger/merkle';

/**
 * The interior nodes of the ledger's Merkle tree: every complete perfect subtree of 2+ leaves (level
 * L, index j covers leaves [j·2^L, (j+1)·2^L)), so an inclusion proof reads O(log n) rows instead of
 * every leaf. A complete subtree never changes, so the table is append-only like the leaves. The
 * integrator writes the nodes its leaves complete in the same transaction; existing leaves are
 * back-filled here, under the integrator's lock so no batch slips in between.
 */
export class LedgerNodes1764500000001 implements MigrationInterface {
  name = 'LedgerNodes1764500000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit.ledger_nodes (
        level      smallint NOT NULL CHECK (level BETWEEN 1 AND 62),
        node_index bigint NOT NULL CHECK (node_index >= 0),
        hash       bytea NOT NULL CHECK (octet_length(hash) = 32),
        PRIMARY KEY (level, node_index)
      )`);
    await q.query(`CREATE TRIGGER ledger_nodes_no_update_delete BEFORE UPDATE OR DELETE ON audit.ledger_nodes
                   FOR EACH ROW EXECUTE FUNCTION audit.refuse_change()`);
    await q.query(`CREATE TRIGGER ledger_nodes_no_truncate BEFORE TRUNCATE ON audit.ledger_nodes
                   FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_change()`);
    await q.query(`GRANT SELECT, INSERT ON audit.ledger_nodes TO care_app`);
    await q.query(`GRANT SELECT ON audit.ledger_nodes TO care_auditor`);

    // Blocking where the integrator only tries: it skips its run until this transaction commits.
    await q.query('SELECT pg_advisory_xact_lock($1)', [LEDGER_LOCK]);
    await backfillLedgerNodes(q);
  }

  async down(q: QueryRunner): Promise<void> {
    // Derived from the leaves (the triggers refuse the DROP's row deletes only, not the DROP).
    await q.query(`DROP TABLE audit.ledger_nodes`);
  }
}

/**
 * Computes the nodes of the leaves already stored, page by page with a frontier (O(log n) memory),
 * exactly as the integrator would have. Stops at a gap in the leaf indexes: verification reports it.
 */
export const backfillLedgerNodes = async (q: QueryRunner, pageSize = 20_000): Promise<number> => {
  let frontier: Frontier = [];
  let size = 0;
  let written = 0;
  for (;;) {
    const rows = (await q.query(`SELECT leaf_index::text AS i, leaf_hash FROM audit.ledger_leaves WHERE leaf_index >= $1 ORDER BY leaf_index LIMIT $2`, [
      size,
      pageSize,
    ])) as { i: string; leaf_hash: string }[];
    const contiguous = rows.findIndex((r, k) => Number(r.i) !== size + k);
    const page = contiguous === -1 ? rows : rows.slice(0, contiguous);
    if (page.length === 0) return written;
    const step = extendFrontierWithNodes(
      frontier,
      size,
      page.map((r) => Buffer.from(r.leaf_hash, 'hex')),
    );
    await insertNodes(q, step.nodes);
    written += step.nodes.length;
    frontier = step.frontier;
    size += page.length;
    if (page.length < rows.length || rows.length < pageSize) return written;
  }
};
