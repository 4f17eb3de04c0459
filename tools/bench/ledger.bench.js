#!/usr/bin/env node
'use strict';
/**
 * `npm run bench:ledger`: the signed ledger at BENCH_EVENTS leaves. Inclusion proofs (p50/p95) against
 * one indexed primary-key lookup of a leaf row, full verification against bare SHA-256 over the same
 * bytes, and a range verification of 1% of the leaves against the full one. Starts its own PostgreSQL
 * in a temp folder unless DATABASE_URL is set.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createHash } = require('node:crypto');
const { ROOT, build } = require('../scripts/lib/setup');
const { startCluster } = require('../scripts/lib/postgres');

const N = Number(process.env.BENCH_EVENTS || 100000);
const PROOFS = Number(process.env.BENCH_PROOFS || 1000);
const log = (m) => process.stderr.write(`[bench] ${m}\n`);

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
const ms = (ns) => Number(ns) / 1e6;
const time = async (fn) => {
  const t = process.hrtime.bigint();
  const value = await fn();
  return { value, ms: ms(process.hrtime.bigint() - t) };
};

const main = async () => {
  build(log);
  require('../scripts/lib/register-aliases');
  const es = require(path.join(ROOT, 'dist/libs/event-store/src'));
  let cluster = null;
  let url = process.env.DATABASE_URL;
  if (!url) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'care-bench-'));
    fs.chmodSync(dir, 0o755);
    cluster = await startCluster({ clusterDir: path.join(dir, 'pg'), database: 'bench', log });
    url = cluster.url;
  }
  const db = await es.createDataSource(url, 8).initialize();
  try {
    await es.runMigrations(db);
    const signer = es.CheckpointSigner.fromFile(path.join(os.tmpdir(), `bench-ledger-${process.pid}.pem`), true);

    // Load: big appends through EventStore.append (the real hash chain), two writers, then integrate.
    const meta = { actor: { id: 'u-1', name: 'Casey', role: 'coordinator', siteId: 'site-a' }, occurredAt: '2026-01-01T00:00:00Z', correlationId: 'c' };
    const store = new es.EventStore(db);
    const streams = Math.max(1, Math.ceil(N / 5000));
    const perAppend = 1000;
    let t = Date.now();
    await Promise.all(
      [0, 1].map(async (w) => {
        for (let s = w; s < streams; s += 2) {
          const count = Math.min(5000, N - s * 5000);
          for (let v = 0; v < count; v += perAppend) {
            const events = Array.from({ length: Math.min(perAppend, count - v) }, (_, i) => ({
              type: 'Something',
              schemaVersion: 1,
              data: { v: v + i, note: 'ü 漢字 🙂', dose: 1.25e-3, list: [1, [2, { z: 1, a: 2 }]] },
              metadata: meta,
            }));
            await store.append(`bench-${s}`, 'bench', v, events);
          }
        }
      }),
    );
    log(`appended ${N} events in ${Date.now() - t} ms`);
    t = Date.now();
    for (;;) {
      const r = await es.integrateLedger(db, signer, { origin: 'bench' });
      if (r.treeSize >= N) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    await db.query('VACUUM ANALYZE');
    const [{ checkpoints }] = await db.query('SELECT count(*)::int AS checkpoints FROM audit.checkpoints');
    log(`integrated ${N} leaves (${checkpoints} checkpoints) in ${Date.now() - t} ms`);

    // Inclusion proofs of random events, against a single primary-key lookup of a leaf row.
    const sample = await db.query(`SELECT event_id::text AS id, global_position::text AS p FROM es.events ORDER BY random() LIMIT $1`, [PROOFS]);
    const proofTimes = [];
    const lookupTimes = [];
    for (const e of sample) {
      const lookup = await time(() => db.query(`SELECT leaf_index, source, source_position, leaf_hash FROM audit.ledger_leaves WHERE leaf_index = $1`, [Math.floor(Math.random() * N)]));
      lookupTimes.push(lookup.ms);
      const { value: proof, ms: proofMs } = await time(() => es.proveEventInclusion(db, signer, e.id));
      proofTimes.push(proofMs);
      const ok = es.verifyInclusion(proof.leafIndex, proof.treeSize, Buffer.from(proof.leafHash, 'hex'), proof.auditPath.map((h) => Buffer.from(h, 'hex')), Buffer.from(proof.rootHash, 'hex'));
      if (!ok) throw new Error(`proof of ${e.id} does not verify`);
    }
    proofTimes.sort((a, b) => a - b);
    lookupTimes.sort((a, b) => a - b);
    // The former proof, for scale: every leaf hash read, then one pass (three samples).
    const oldTimes = [];
    for (const e of sample.slice(0, 3)) {
      const { ms: oldMs } = await time(async () => {
        const [leaf] = await db.query(`SELECT leaf_index::int AS i FROM audit.ledger_leaves WHERE source = 'event' AND source_position = $1`, [e.p]);
        const rows = await db.query(`SELECT leaf_hash FROM audit.ledger_leaves WHERE leaf_index < $1 ORDER BY leaf_index`, [N]);
        return es.inclusionProof(
          leaf.i,
          rows.map((r) => Buffer.from(r.leaf_hash, 'hex')),
        );
      });
      oldTimes.push(oldMs);
    }

    // Full verification, against bare SHA-256 over the same bytes (the events' content, read beforehand).
    const full = await time(() => es.verifyLedger(db, signer, { origin: 'bench' }));
    if (!full.value.ok) throw new Error(`verification failed on an untouched log: ${JSON.stringify(full.value.firstMismatch)}`);
    let shaMs = 0;
    for (let at = 0; at < N; at += 50000) {
      const rows = await db.query('SELECT data, metadata FROM es.events WHERE global_position > $1 ORDER BY global_position LIMIT 50000', [at]);
      const s = process.hrtime.bigint();
      for (const r of rows) createHash('sha256').update(JSON.stringify(r.data) + JSON.stringify(r.metadata)).digest();
      shaMs += ms(process.hrtime.bigint() - s);
    }
    // A second baseline: bare SHA-256 of everything verification must hash, prepared beforehand: per
    // event its hashed content (tag, ids, data, metadata, previous hash), its leaf and one tree node.
    let allHashesMs = 0;
    for (let at = 0; at < N; at += 50000) {
      const rows = await db.query(
        `SELECT global_position::text AS p, stream_id, stream_version::int AS v, event_id::text AS id, event_type, schema_version, data, metadata, prev_hash, hash
           FROM es.events WHERE global_position > $1 ORDER BY global_position LIMIT 50000`,
        [at],
      );
      const inputs = rows.map((r) => ({
        event: JSON.stringify({ data: r.data, eventId: r.id, eventType: r.event_type, metadata: r.metadata, prevHash: r.prev_hash, schemaVersion: r.schema_version, streamId: r.stream_id, streamVersion: r.v, tag: 'sha256-jcs-v1' }),
        leaf: Buffer.from(`\u0000${JSON.stringify({ p: r.p, s: r.stream_id, v: r.v, h: r.hash })}`),
        node: Buffer.alloc(65, 1),
      }));
      const s = process.hrtime.bigint();
      for (const i of inputs) {
        createHash('sha256').update(i.event).digest();
        createHash('sha256').update(i.leaf).digest();
        createHash('sha256').update(i.node).digest();
      }
      allHashesMs += ms(process.hrtime.bigint() - s);
    }
    // A range of 1% of the leaves from the middle.
    const from = Math.floor(N / 2);
    const width = Math.max(1, Math.floor(N / 100));
    const range = await time(() => es.verifyLedger(db, signer, { origin: 'bench', fromLeaf: from, toLeaf: from + width }));
    if (!range.value.ok || range.value.checkedEntries !== width) throw new Error(`range verification: ${JSON.stringify(range.value)}`);

    const f = (x) => x.toFixed(2);
    process.stdout.write(
      [
        `ledger: ${N} leaves, ${checkpoints} checkpoints`,
        `inclusion proof (${PROOFS} random events): p50 ${f(percentile(proofTimes, 50))} ms  p95 ${f(percentile(proofTimes, 95))} ms   ` +
          `baseline primary-key lookup of a leaf: p50 ${f(percentile(lookupTimes, 50))} ms  p95 ${f(percentile(lookupTimes, 95))} ms   ` +
          `ratio p95 ${(percentile(proofTimes, 95) / percentile(lookupTimes, 95)).toFixed(1)}x`,
        `  former O(n) proof (every leaf read):  ${oldTimes.map((x) => x.toFixed(0)).join(' / ')} ms`,
        `verify (whole ledger):  ${full.ms.toFixed(0)} ms   bare SHA-256 over the events' data and metadata: ${shaMs.toFixed(0)} ms   ratio ${(full.ms / shaMs).toFixed(2)}x`,
        `                         bare SHA-256 of all verification hashes (event, leaf, node per event): ${allHashesMs.toFixed(0)} ms   ratio ${(full.ms / allHashesMs).toFixed(2)}x`,
        `verify (1% range, ${width} leaves from ${from}):  ${range.ms.toFixed(0)} ms   vs whole ledger: ratio ${(range.ms / full.ms).toFixed(4)} (${((range.ms / full.ms) * 100).toFixed(2)}%)`,
        '',
      ].join('\n'),
    );
  } finally {
    await db.destroy();
    cluster?.stop();
  }
};

main().catch((e) => {
  log(`failed: ${e.stack}`);
  process.exit(1);
});
