import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { AccessLog } from '../access-log/access-log';
import { EventStore } from '../event-store';
import { eventHash } from '../hash-chain';
import { freshDatabase } from '../testing/fresh-database';
import { CheckpointSigner } from './checkpoint-signer';
import { eventLeafHash } from './ledger-entry';
import { integrateLedger } from './ledger-integrator';
import { proveEventInclusion, verifyLedger } from './ledger-verifier';
import { verifyInclusion } from './merkle';

const ORIGIN = 'care-test-ledger';
const actor = { id: 'u-1', name: 'Casey Coordinator', role: 'coordinator', siteId: 'site-a' };
const event = (n: number) => ({ type: 'Something', schemaVersion: 1, data: { n }, metadata: { actor, occurredAt: '2026-01-01T00:00:00Z', correlationId: 'c' } });

/**
 * Tampering as a superuser would: through SQL, around the application, disabling the append-only
 * triggers first. Every case must be found by verification at the exact position.
 */
describe('signed ledger: tamper evidence', () => {
  const signer = CheckpointSigner.fromFile(path.join(os.tmpdir(), `ledger-${randomUUID()}.pem`), true);
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let owner: DataSource;
  let positions: string[];

  const verify = () => verifyLedger(owner, signer, { origin: ORIGIN });
  const superuserSql = async (sql: string, params: unknown[] = []) => {
    // session_replication_role = replica skips ordinary triggers: what an attacker with superuser rights does.
    const runner = owner.createQueryRunner();
    await runner.connect();
    try {
      await runner.query(`SET session_replication_role = replica`);
      await runner.query(sql, params);
    } finally {
      await runner.query(`RESET session_replication_role`);
      await runner.release();
    }
  };

  beforeEach(async () => {
    db = await freshDatabase();
    owner = db.owner;
    const store = new EventStore(owner);
    const access = new AccessLog(owner);
    for (let s = 0; s < 4; s++) {
      const id = `course-${s}`;
      await store.append(id, 'course', 0, [event(1), event(2)]);
      await access.record({ actor, action: 'read', resource: 'course', courseId: id, outcome: 'ok' });
      await store.append(id, 'course', 2, [event(3)]);
    }
    // The ledger takes only entries older than every running transaction of the cluster (xids are
    // cluster-wide): with other suites busy, the newest rows may need a moment to become safe.
    const ENTRIES = 16;
    for (const end = Date.now() + 30_000; ; await new Promise((r) => setTimeout(r, 50))) {
      await integrateLedger(owner, signer, { origin: ORIGIN, batchSize: 5 });
      const [{ n }] = (await owner.query(`SELECT count(*)::int AS n FROM audit.ledger_leaves`)) as { n: number }[];
      if (n >= ENTRIES) break;
      if (Date.now() > end) throw new Error(`only ${n} of ${ENTRIES} entries reached the xmin-safe horizon in 30 s`);
    }
    positions = ((await owner.query('SELECT global_position::text AS p FROM es.events ORDER BY global_position')) as { p: string }[]).map((r) => r.p);
  });
  afterEach(async () => db?.drop());

  it('verifies an untouched log and proves each event against the signed root', async () => {
    const result = await verify();
    expect(result).toMatchObject({ ok: true, treeSize: 16, checkedEntries: 16, firstMismatch: null });
    expect(result.checkpoints).toBeGreaterThan(1);
    const [row] = (await owner.query(`SELECT event_id::text FROM es.events WHERE global_position = $1`, [positions[5]])) as { event_id: string }[];
    const proof = await proveEventInclusion(owner, signer, row!.event_id);
    if (proof === null || proof === 'pending') throw new Error('no proof');
    expect(
      verifyInclusion(proof.leafIndex, proof.treeSize, Buffer.from(proof.leafHash, 'hex'), proof.auditPath.map((h) => Buffer.from(h, 'hex')), Buffer.from(proof.rootHash, 'hex')),
    ).toBe(true);
    expect(CheckpointSigner.fromPublicKeyPem(proof.checkpoint.publicKey).verify(proof.checkpoint.signedNote, proof.checkpoint.signature)).toBe(true);
  });

  it('finds a changed row at its position', async () => {
    await superuserSql(`UPDATE es.events SET data = '{"n": 99}' WHERE global_position = $1`, [positions[6]]);
    expect((await verify()).firstMismatch).toMatchObject({ source: 'event', position: positions[6], reason: 'content changed' });
  });

  it('finds an event moved to another site or patient in its stored audit columns (what filters and entries show)', async () => {
    await superuserSql(`UPDATE es.events SET site_id = 'site-x' WHERE global_position = $1`, [positions[5]]);
    expect((await verify()).firstMismatch).toMatchObject({ source: 'event', position: positions[5], reason: 'audit columns changed' });
    const leaf = (await owner.query(`SELECT leaf_index::int AS i FROM audit.ledger_leaves WHERE source = 'event' AND source_position = $1`, [positions[5]])) as { i: number }[];
    // A range holding the event finds it too.
    expect((await verifyLedger(owner, signer, { origin: ORIGIN, fromLeaf: leaf[0]!.i, toLeaf: leaf[0]!.i + 1 })).firstMismatch).toMatchObject({ reason: 'audit columns changed' });
  });

  it('finds a changed clinical time at its position', async () => {
    await superuserSql(`UPDATE es.events SET clinical_time = '2020-01-01T00:00:00.000Z' WHERE global_position = $1`, [positions[3]]);
    expect((await verify()).firstMismatch).toMatchObject({ source: 'event', position: positions[3], reason: 'audit columns changed' });
  });

  it('finds a changed row whose hash the attacker recomputed', async () => {
    const [r] = (await owner.query(`SELECT * FROM es.events WHERE global_position = $1`, [positions[2]])) as any[];
    const forged = eventHash({
      streamId: r.stream_id, streamVersion: Number(r.stream_version), eventId: r.event_id, eventType: r.event_type,
      schemaVersion: r.schema_version, data: { n: 42 }, metadata: r.metadata, prevHash: r.prev_hash,
    });
    await superuserSql(`UPDATE es.events SET data = '{"n": 42}', hash = $2 WHERE global_position = $1`, [positions[2], forged]);
    expect((await verify()).firstMismatch).toMatchObject({ source: 'event', position: positions[2], reason: 'hash changed' });
  });

  it('finds a deleted row at its position', async () => {
    await superuserSql(`DELETE FROM es.events WHERE global_position = $1`, [positions[9]]);
    expect((await verify()).firstMismatch).toMatchObject({ source: 'event', position: positions[9], reason: 'entry missing' });
  });

  it('finds a row inserted into the signed range (backdated transaction id)', async () => {
    const [r] = (await owner.query(`SELECT * FROM es.events WHERE global_position = $1`, [positions[4]])) as any[];
    await superuserSql(
      `INSERT INTO es.events (global_position, transaction_id, stream_id, stream_version, event_id, event_type, schema_version, data, metadata,
                              recorded_at, prev_hash, hash, hash_alg)
       OVERRIDING SYSTEM VALUE
       SELECT 100000, transaction_id, stream_id, 77, gen_random_uuid(), event_type, schema_version, data, metadata, recorded_at, prev_hash, hash, hash_alg
         FROM es.events WHERE global_position = $1`,
      [positions[4]],
    );
    expect(r).toBeDefined();
    expect((await verify()).firstMismatch).toMatchObject({ source: 'event', position: '100000', reason: 'not in ledger' });
  });

  it('finds a row appended after the last checkpoint that does not continue its chain', async () => {
    const [last] = (await owner.query(`SELECT * FROM es.events WHERE stream_id = 'course-1' ORDER BY stream_version DESC LIMIT 1`)) as any[];
    const fields = {
      streamId: 'course-1', streamVersion: 4, eventId: randomUUID(), eventType: 'Something', schemaVersion: 1,
      data: { n: 4 }, metadata: last.metadata, prevHash: 'f'.repeat(64),
    };
    await superuserSql(
      `INSERT INTO es.events (stream_id, stream_version, event_id, event_type, schema_version, data, metadata, recorded_at, prev_hash, hash, hash_alg)
       VALUES ('course-1', 4, $1, 'Something', 1, '{"n": 4}', $2, now(), $3, $4, 'sha256-jcs-v1') RETURNING global_position`,
      [fields.eventId, JSON.stringify(last.metadata), fields.prevHash, eventHash(fields)],
    );
    const [inserted] = (await owner.query(`SELECT global_position::text AS p FROM es.events WHERE stream_id = 'course-1' AND stream_version = 4`)) as { p: string }[];
    // Verification reads up to the xmin-safe horizon: wait until the inserted row is below it.
    for (const end = Date.now() + 30_000; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
      const [{ safe }] = (await owner.query(`SELECT transaction_id < pg_snapshot_xmin(pg_current_snapshot()) AS safe FROM es.events WHERE global_position = $1`, [
        inserted!.p,
      ])) as { safe: boolean }[];
      if (safe) break;
    }
    expect((await verify()).firstMismatch).toMatchObject({ source: 'event', position: inserted!.p, reason: 'broken link' });
  });

  it('finds a changed access-log row at its id', async () => {
    const [a] = (await owner.query(`SELECT access_id::text AS id FROM audit.access_log ORDER BY access_id LIMIT 1 OFFSET 2`)) as { id: string }[];
    await superuserSql(`UPDATE audit.access_log SET actor_id = 'someone-else' WHERE access_id = $1`, [a!.id]);
    expect((await verify()).firstMismatch).toMatchObject({ source: 'access', position: a!.id, reason: 'content changed' });
  });

  it('finds a rewritten leaf at its index', async () => {
    await superuserSql(`UPDATE audit.ledger_leaves SET leaf_hash = repeat('0', 64) WHERE leaf_index = 3`);
    expect((await verify()).firstMismatch).toMatchObject({ leafIndex: 3, reason: 'hash changed' });
  });

  it('finds a row, its hash, its stream head and its leaf all rewritten, through the signed root', async () => {
    // The last event of a stream: no successor whose link would break, so only the signed root can tell.
    const [r] = (await owner.query(`SELECT * FROM es.events WHERE stream_id = 'course-0' AND stream_version = 3`)) as any[];
    const forged = eventHash({
      streamId: r.stream_id, streamVersion: 3, eventId: r.event_id, eventType: r.event_type,
      schemaVersion: r.schema_version, data: { n: 7 }, metadata: r.metadata, prevHash: r.prev_hash,
    });
    await superuserSql(`UPDATE es.events SET data = '{"n": 7}', hash = $2 WHERE global_position = $1`, [r.global_position, forged]);
    await superuserSql(`UPDATE es.streams SET last_hash = $1 WHERE stream_id = 'course-0'`, [forged]);
    await superuserSql(`UPDATE audit.ledger_leaves SET leaf_hash = $2 WHERE source = 'event' AND source_position = $1`, [
      r.global_position,
      eventLeafHash(String(r.global_position), 'course-0', 3, forged).toString('hex'),
    ]);
    const [leaf] = (await owner.query(`SELECT leaf_index::int AS i FROM audit.ledger_leaves WHERE source = 'event' AND source_position = $1`, [r.global_position])) as { i: number }[];
    const [cp] = (await owner.query(`SELECT min(tree_size)::text AS size FROM audit.checkpoints WHERE tree_size > $1`, [leaf!.i])) as { size: string }[];
    expect((await verify()).firstMismatch).toMatchObject({ source: 'checkpoint', position: cp!.size, reason: 'root mismatch' });
  });

  /** A row's hash as the store computes it, with some fields replaced. */
  const rehash = (r: any, changes: { streamVersion?: number; data?: unknown; prevHash?: string; eventId?: string }) =>
    eventHash({
      streamId: r.stream_id, streamVersion: changes.streamVersion ?? Number(r.stream_version), eventId: changes.eventId ?? r.event_id, eventType: r.event_type,
      schemaVersion: r.schema_version, data: changes.data ?? r.data, metadata: r.metadata, prevHash: changes.prevHash ?? r.prev_hash,
    });

  it('finds a deleted row at its position when the attacker relinked and renumbered the chain around it', async () => {
    const rows = (await owner.query(`SELECT * FROM es.events WHERE stream_id = 'course-2' ORDER BY stream_version`)) as any[];
    const [first, middle, last] = rows;
    const relinked = rehash(last, { streamVersion: 2, prevHash: first.hash });
    await superuserSql(`DELETE FROM es.events WHERE global_position = $1`, [middle.global_position]);
    await superuserSql(`UPDATE es.events SET stream_version = 2, prev_hash = $2, hash = $3 WHERE global_position = $1`, [last.global_position, first.hash, relinked]);
    await superuserSql(`UPDATE es.streams SET version = 2, last_hash = $1 WHERE stream_id = 'course-2'`, [relinked]);
    expect((await verify()).firstMismatch).toMatchObject({ source: 'event', position: String(middle.global_position), reason: 'entry missing' });
  });

  it('finds a row inserted into the signed range with a correct chain link (backdated transaction id) as not in the ledger', async () => {
    const [last] = (await owner.query(`SELECT * FROM es.events WHERE stream_id = 'course-3' ORDER BY stream_version DESC LIMIT 1`)) as any[];
    const eventId = randomUUID();
    const hash = rehash(last, { streamVersion: 4, prevHash: last.hash, eventId, data: { n: 4 } });
    await superuserSql(
      `INSERT INTO es.events (global_position, transaction_id, stream_id, stream_version, event_id, event_type, schema_version, data, metadata,
                              recorded_at, prev_hash, hash, hash_alg)
       OVERRIDING SYSTEM VALUE
       SELECT 100001, (SELECT transaction_id FROM es.events WHERE global_position = $5), stream_id, 4, $2, event_type, schema_version, '{"n": 4}', metadata,
              recorded_at, $3, $4, hash_alg
         FROM es.events WHERE global_position = $1`,
      // Backdated to the transaction of the first event: inside the signed range, where every event has a leaf.
      [last.global_position, eventId, last.hash, hash, positions[0]],
    );
    await superuserSql(`UPDATE es.streams SET version = 4, last_hash = $1 WHERE stream_id = 'course-3'`, [hash]);
    expect((await verify()).firstMismatch).toMatchObject({ source: 'event', position: '100001', reason: 'not in ledger' });
  });

  it('finds the newest checkpoint deleted: the leaves it signed are left without a checkpoint', async () => {
    const sizes = ((await owner.query(`SELECT tree_size::int AS size FROM audit.checkpoints ORDER BY tree_size`)) as { size: number }[]).map((c) => c.size);
    expect(sizes.length).toBeGreaterThan(1);
    await superuserSql(`DELETE FROM audit.checkpoints WHERE tree_size = $1`, [sizes[sizes.length - 1]]);
    expect((await verify()).firstMismatch).toMatchObject({ source: 'checkpoint', reason: 'leaves without checkpoint', leafIndex: sizes[sizes.length - 2] });
  });

  it('cannot tell, from the database alone, a newest checkpoint deleted with its leaves and rows: that needs a checkpoint witnessed outside (README)', async () => {
    // The documented limit: a superuser who cuts the tail of every table consistently leaves a shorter,
    // self-consistent log. Only a copy of a later signed checkpoint kept elsewhere shows what is missing.
    const [newest] = (await owner.query(`SELECT tree_size::int AS size FROM audit.checkpoints ORDER BY tree_size DESC LIMIT 1`)) as { size: number }[];
    const [previous] = (await owner.query(`SELECT tree_size::int AS size FROM audit.checkpoints WHERE tree_size < $1 ORDER BY tree_size DESC LIMIT 1`, [newest!.size])) as { size: number }[];
    const cut = (await owner.query(`SELECT source, source_position::text AS p FROM audit.ledger_leaves WHERE leaf_index >= $1`, [previous!.size])) as { source: string; p: string }[];
    await superuserSql(`DELETE FROM audit.checkpoints WHERE tree_size = $1`, [newest!.size]);
    await superuserSql(`DELETE FROM audit.ledger_leaves WHERE leaf_index >= $1`, [previous!.size]);
    for (const c of cut) {
      if (c.source === 'event') await superuserSql(`DELETE FROM es.events WHERE global_position = $1`, [c.p]);
      else await superuserSql(`DELETE FROM audit.access_log WHERE access_id = $1`, [c.p]);
    }
    // Stream heads rewound too, so nothing in the database points past the cut.
    await superuserSql(`UPDATE es.streams s SET version = e.v, last_hash = e.h FROM (
        SELECT DISTINCT ON (stream_id) stream_id, stream_version AS v, hash AS h FROM es.events ORDER BY stream_id, stream_version DESC) e
      WHERE s.stream_id = e.stream_id`);
    const result = await verify();
    expect(result.ok).toBe(true);
    expect(result.treeSize).toBe(previous!.size);
  });

  it('refuses UPDATE, DELETE and TRUNCATE on the access log and the ledger', async () => {
    for (const table of ['audit.access_log', 'audit.ledger_leaves', 'audit.checkpoints']) {
      await expect(owner.query(`UPDATE ${table} SET created_at = now()`.replace('created_at', table.endsWith('log') ? 'outcome' : table.endsWith('leaves') ? 'leaf_hash' : 'key_id').replace('now()', `'x'`))).rejects.toThrow(/append-only/);
      await expect(owner.query(`DELETE FROM ${table}`)).rejects.toThrow(/append-only/);
      await expect(owner.query(`TRUNCATE ${table}`)).rejects.toThrow(/append-only/);
    }
  });
});
