import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { AccessLog } from '../access-log/access-log';
import { runMigrations } from '../data-source';
import { EventStore } from '../event-store';
import { backfillLedgerNodes } from '../migrations/1764500000001-ledger-nodes';
import { freshDatabase } from '../testing/fresh-database';
import { CheckpointSigner } from './checkpoint-signer';
import { integrateLedger } from './ledger-integrator';
import { proveEventInclusion, verifyLedger } from './ledger-verifier';
import { inclusionProof, merkleRoot, verifyInclusion } from './merkle';

const ORIGIN = 'care-test-ledger';
const actor = { id: 'u-1', name: 'Casey Coordinator', role: 'coordinator', siteId: 'site-a' };
const event = (n: number) => ({ type: 'Something', schemaVersion: 1, data: { n }, metadata: { actor, occurredAt: '2026-01-01T00:00:00Z', correlationId: 'c' } });
const signer = CheckpointSigner.fromFile(path.join(os.tmpdir(), `ledger-nodes-${randomUUID()}.pem`), true);

const count = async (db: DataSource) => ((await db.query(`SELECT count(*)::int AS n FROM audit.ledger_leaves`)) as { n: number }[])[0]!.n;

/** Integrates until `n` leaves are in (entries become xmin-safe only once older than every running transaction of the cluster). */
const integrateUntil = async (db: DataSource, n: number, batchSize: number) => {
  for (const end = Date.now() + 30_000; ; await new Promise((r) => setTimeout(r, 20))) {
    await integrateLedger(db, signer, { origin: ORIGIN, batchSize });
    const have = await count(db);
    if (have >= n) return;
    if (Date.now() > end) throw new Error(`only ${have} of ${n} entries reached the xmin-safe horizon in 30 s`);
  }
};

const leafHashes = async (db: DataSource, size: number) =>
  ((await db.query(`SELECT leaf_hash FROM audit.ledger_leaves WHERE leaf_index < $1 ORDER BY leaf_index`, [size])) as { leaf_hash: string }[]).map((r) =>
    Buffer.from(r.leaf_hash, 'hex'),
  );

const allNodes = async (db: DataSource) =>
  ((await db.query(`SELECT level, node_index::text AS i, encode(hash, 'hex') AS h FROM audit.ledger_nodes ORDER BY level, node_index`)) as { level: number; i: string; h: string }[]).map(
    (r) => `${r.level}:${r.i}:${r.h}`,
  );

/** Writes as a superuser would, around the append-only triggers. */
const superuserSql = async (db: DataSource, sql: string, params: unknown[] = []) => {
  const runner = db.createQueryRunner();
  await runner.connect();
  try {
    await runner.query(`SET session_replication_role = replica`);
    await runner.query(sql, params);
  } finally {
    await runner.query(`RESET session_replication_role`);
    await runner.release();
  }
};

describe('ledger tree nodes: O(log n) proofs', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(async () => db?.drop());

  /** Every event's proof from the stored nodes against the latest checkpoint, compared with the O(n) one over all leaves. */
  const checkEveryProof = async (size: number) => {
    const [head] = (await db.owner.query(`SELECT tree_size::int AS size, root_hash FROM audit.checkpoints ORDER BY tree_size DESC LIMIT 1`)) as { size: number; root_hash: string }[];
    expect(head!.size).toBe(size);
    const leaves = await leafHashes(db.owner, size);
    expect(merkleRoot(leaves).toString('hex')).toBe(head!.root_hash);
    const events = (await db.owner.query(
      `SELECT e.event_id::text AS id, l.leaf_index::int AS i FROM audit.ledger_leaves l JOIN es.events e ON l.source = 'event' AND e.global_position = l.source_position`,
    )) as { id: string; i: number }[];
    for (const e of events) {
      const proof = await proveEventInclusion(db.owner, signer, e.id);
      if (proof === null || proof === 'pending') throw new Error(`no proof for leaf ${e.i}`);
      expect({ leaf: e.i, size: proof.treeSize, path: proof.auditPath }).toEqual({ leaf: e.i, size, path: inclusionProof(e.i, leaves).map((h) => h.toString('hex')) });
      expect(verifyInclusion(e.i, size, leaves[e.i]!, proof.auditPath.map((h) => Buffer.from(h, 'hex')), Buffer.from(proof.rootHash, 'hex'))).toBe(true);
    }
  };

  it('gives the same audit path as the O(n) computation for every leaf of every tree from 1 to 70 leaves, and across batches', async () => {
    const store = new EventStore(db.owner);
    const access = new AccessLog(db.owner);
    const versions = [0, 0, 0];
    for (let n = 1; n <= 70; n++) {
      // Every seventh entry a read access: leaves of both kinds, proofs only exist for events.
      if (n % 7 === 0) await access.record({ actor, action: 'read', resource: 'course', courseId: 'c-0', outcome: 'ok' });
      else await store.append(`course-${n % 3}`, 'course', versions[n % 3]++, [event(n)]);
      await integrateUntil(db.owner, n, 2);
      await checkEveryProof(n);
    }
    // Many entries at once, integrated in batches of 4 (each batch its own transaction and checkpoint).
    for (let s = 0; s < 9; s++) await store.append(`burst-${s}`, 'course', 0, [event(1), event(2), event(3), event(4)]);
    for (let a = 0; a < 5; a++) await access.record({ actor, action: 'read', resource: 'course', courseId: `c-${a}`, outcome: 'ok' });
    await integrateUntil(db.owner, 111, 4);
    await checkEveryProof(111);
    const verification = await verifyLedger(db.owner, signer, { origin: ORIGIN });
    expect(verification).toMatchObject({ ok: true, treeSize: 111, checkedEntries: 111 });
    // A range verification reads only its range and ends on the same signed root.
    for (const [fromLeaf, toLeaf] of [[0, 1], [33, 34], [7, 70], [64, 111], [100, 200], [110, 111], [5, 5]] as const) {
      const range = await verifyLedger(db.owner, signer, { origin: ORIGIN, fromLeaf, toLeaf, batchSize: 16 });
      expect({ fromLeaf, toLeaf, ...range }).toMatchObject({ fromLeaf, toLeaf, ok: true, treeSize: 111, rootHash: verification.rootHash, checkedEntries: Math.max(0, Math.min(toLeaf, 111) - fromLeaf) });
    }
  });

  it('back-fills, in the migration, exactly the nodes the integrator wrote', async () => {
    const written = await allNodes(db.owner);
    expect(written.length).toBe(111 - 6); // n minus the number of 1 bits of n (111 = 0b1101111): one node per merge
    // A database from before the migration: the table gone, the migration not yet run.
    await db.owner.query(`DROP TABLE audit.ledger_nodes`);
    await db.owner.query(`DELETE FROM schema_migrations WHERE name = 'LedgerNodes1764500000001'`);
    expect(await runMigrations(db.owner)).toEqual(['LedgerNodes1764500000001']);
    expect(await allNodes(db.owner)).toEqual(written);
    // In small pages too.
    await superuserSql(db.owner, `DELETE FROM audit.ledger_nodes`);
    const runner = db.owner.createQueryRunner();
    await runner.connect();
    try {
      expect(await backfillLedgerNodes(runner, 7)).toBe(written.length);
    } finally {
      await runner.release();
    }
    expect(await allNodes(db.owner)).toEqual(written);
    expect((await verifyLedger(db.owner, signer, { origin: ORIGIN })).ok).toBe(true);
  });
});

describe('ledger tree nodes: tamper evidence', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  const verify = (range: { fromLeaf?: number; toLeaf?: number } = {}) => verifyLedger(db.owner, signer, { origin: ORIGIN, batchSize: 5, ...range });
  const forge = (level: number, index: number) => superuserSql(db.owner, `UPDATE audit.ledger_nodes SET hash = sha256(hash) WHERE level = $1 AND node_index = $2`, [level, index]);

  beforeEach(async () => {
    db = await freshDatabase();
    const store = new EventStore(db.owner);
    for (let s = 0; s < 6; s++) await store.append(`course-${s}`, 'course', 0, [event(1), event(2), event(3)]);
    await integrateUntil(db.owner, 18, 4);
  });
  afterEach(async () => db?.drop());

  it('finds a forged node by full verification and by every range over it, and its proofs no longer verify', async () => {
    expect((await verify()).ok).toBe(true);
    await forge(1, 2); // leaves 4 and 5
    const nodeChanged = { source: 'node', position: '1:2', leafIndex: 4, reason: 'node changed' };
    expect((await verify()).firstMismatch).toEqual(nodeChanged);
    for (const [fromLeaf, toLeaf] of [[4, 6], [5, 6], [3, 5], [0, 18], [2, 9], [5, 100]]) {
      expect({ fromLeaf, toLeaf, m: (await verify({ fromLeaf, toLeaf })).firstMismatch }).toEqual({ fromLeaf, toLeaf, m: nodeChanged });
    }
    // A range beside it uses it as a sibling: the root no longer matches.
    expect((await verify({ fromLeaf: 6, toLeaf: 8 })).firstMismatch).toMatchObject({ source: 'checkpoint', reason: 'root mismatch' });
    const [leaf] = (await db.owner.query(`SELECT e.event_id::text AS id FROM audit.ledger_leaves l JOIN es.events e ON e.global_position = l.source_position WHERE l.leaf_index = 7`)) as { id: string }[];
    const proof = await proveEventInclusion(db.owner, signer, leaf!.id);
    if (proof === null || proof === 'pending') throw new Error('no proof');
    expect(verifyInclusion(7, proof.treeSize, Buffer.from(proof.leafHash, 'hex'), proof.auditPath.map((h) => Buffer.from(h, 'hex')), Buffer.from(proof.rootHash, 'hex'))).toBe(false);
  });

  it('finds a forged high node and a deleted node, also from a range that covers one leaf under them', async () => {
    await forge(4, 0); // leaves 0..15
    expect((await verify()).firstMismatch).toEqual({ source: 'node', position: '4:0', leafIndex: 0, reason: 'node changed' });
    expect((await verify({ fromLeaf: 9, toLeaf: 10 })).firstMismatch).toEqual({ source: 'node', position: '4:0', leafIndex: 0, reason: 'node changed' });
    await superuserSql(db.owner, `DELETE FROM audit.ledger_nodes WHERE level = 2 AND node_index = 1`); // leaves 4..7
    expect((await verify()).firstMismatch).toEqual({ source: 'node', position: '2:1', leafIndex: 4, reason: 'node changed' });
    expect((await verify({ fromLeaf: 6, toLeaf: 7 })).firstMismatch).toEqual({ source: 'node', position: '2:1', leafIndex: 4, reason: 'node changed' });
  });

  it('finds, from a range, a leaf rewritten with a node table forged to match it: through the signed root', async () => {
    // The attacker rewrites leaf 9 and every node above it so the stored tree is consistent again: only the signed roots disagree.
    const forged = Buffer.alloc(32, 7);
    await superuserSql(db.owner, `UPDATE audit.ledger_leaves SET leaf_hash = $1 WHERE leaf_index = 9`, [forged.toString('hex')]);
    const leaves = await leafHashes(db.owner, 18);
    for (const [level, index] of [[1, 4], [2, 2], [3, 1], [4, 0]]) {
      const size = 2 ** level!;
      await superuserSql(db.owner, `UPDATE audit.ledger_nodes SET hash = $3 WHERE level = $1 AND node_index = $2`, [level, index, merkleRoot(leaves.slice(index! * size, (index! + 1) * size))]);
    }
    // The leaf no longer matches its event; with the event's hash rewritten too it would be the signed root that tells (ledger.int.spec).
    expect((await verify()).firstMismatch).toMatchObject({ leafIndex: 9, reason: 'hash changed' });
    expect((await verify({ fromLeaf: 9, toLeaf: 10 })).firstMismatch).toMatchObject({ leafIndex: 9, reason: 'hash changed' });
    // A range that does not cover the leaf uses the forged nodes as siblings: the signed roots disagree.
    expect((await verify({ fromLeaf: 10, toLeaf: 12 })).firstMismatch).toMatchObject({ source: 'checkpoint', reason: 'root mismatch' });
  });

  it('refuses UPDATE, DELETE and TRUNCATE on the nodes; the service role reads them and appends new ones', async () => {
    await expect(db.owner.query(`UPDATE audit.ledger_nodes SET hash = hash`)).rejects.toThrow(/append-only/);
    await expect(db.owner.query(`DELETE FROM audit.ledger_nodes`)).rejects.toThrow(/append-only/);
    await expect(db.owner.query(`TRUNCATE audit.ledger_nodes`)).rejects.toThrow(/append-only/);
    const app = await db.connect({ role: 'care_app' });
    expect(await app.query(`SELECT count(*)::int AS n FROM audit.ledger_nodes`)).toEqual([{ n: 16 }]); // 18 leaves, 0b10010
    await new EventStore(app).append('course-0', 'course', 3, [event(4), event(5)]);
    await integrateUntil(app, 20, 4);
    expect(await app.query(`SELECT count(*)::int AS n FROM audit.ledger_nodes`)).toEqual([{ n: 18 }]); // 20 leaves, 0b10100
    expect((await verifyLedger(app, signer, { origin: ORIGIN })).ok).toBe(true);
  });
});
