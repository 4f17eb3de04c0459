#!/usr/bin/env node
'use strict';
/**
 * `npm run bench:event-store`: append rate (EventStore.append through es.append_events) against a raw
 * INSERT of the same rows, and ledger verification against bare SHA-256 over the same bytes. Starts
 * its own PostgreSQL in a temp folder unless DATABASE_URL is set. BENCH_EVENTS sets the size.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createHash } = require('node:crypto');
const { ROOT, build } = require('../scripts/lib/setup');
const { startCluster } = require('../scripts/lib/postgres');

const N = Number(process.env.BENCH_EVENTS || 20000);
const log = (m) => process.stderr.write(`[bench] ${m}\n`);

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
    const meta = { actor: { id: 'u-1', name: 'Casey', role: 'coordinator', siteId: 'site-a' }, occurredAt: '2026-01-01T00:00:00Z', correlationId: 'c' };
    const store = new es.EventStore(db);
    const streams = 200;
    const perStream = Math.ceil(N / streams);
    // Append: 8 writers, one event per append (what a course command does).
    let t = Date.now();
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        for (let s = w; s < streams; s += 8) {
          for (let v = 0; v < perStream; v++) {
            // A first event naming its site and patient, as a course's does: every row carries them.
            const data = v === 0 ? { siteId: `site-${s % 4}`, patientRef: `P-${s}` } : { v, performedAt: '2026-01-01T00:00:00Z' };
            await store.append(`bench-${s}`, 'bench', v, [{ type: v === 0 ? 'CourseStarted' : 'DoseAdministered', schemaVersion: 1, data, metadata: meta }]);
          }
        }
      }),
    );
    const appendMs = Date.now() - t;
    const total = streams * perStream;
    // Baseline: the same rows (same columns, precomputed hashes) by plain INSERT, same concurrency, into
    // a copy of the table with the same indexes, generated columns and defaults (no triggers): what is
    // left of the ratio is the append's own work (hashing, compare-and-set, idempotency check).
    await db.query('CREATE TABLE bench_raw (LIKE es.events INCLUDING ALL)');
    const rows = await db.query(
      'SELECT stream_id, stream_version, event_id, event_type, schema_version, data, metadata, recorded_at, prev_hash, hash, hash_alg, site_id, patient_ref, clinical_time, late_entry FROM es.events',
    );
    t = Date.now();
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        for (let i = w; i < rows.length; i += 8) {
          const r = rows[i];
          await db.query(
            `INSERT INTO bench_raw (stream_id, stream_version, event_id, event_type, schema_version, data, metadata, recorded_at, prev_hash, hash, hash_alg,
                                    site_id, patient_ref, clinical_time, late_entry)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
            [r.stream_id, r.stream_version, r.event_id, r.event_type, r.schema_version, r.data, r.metadata, r.recorded_at, r.prev_hash, r.hash, r.hash_alg, r.site_id, r.patient_ref, r.clinical_time, r.late_entry],
          );
        }
      }),
    );
    const rawMs = Date.now() - t;
    // Verify: integrate, then the full verification against hashing the same canonical bytes once.
    const signer = es.CheckpointSigner.fromFile(path.join(os.tmpdir(), `bench-ledger-${process.pid}.pem`), true);
    await es.integrateLedger(db, signer, { origin: 'bench' });
    t = Date.now();
    const result = await es.verifyLedger(db, signer, { origin: 'bench' });
    const verifyMs = Date.now() - t;
    if (!result.ok) throw new Error('verification failed on an untouched log');
    const all = await db.query('SELECT data, metadata FROM es.events');
    t = Date.now();
    for (const r of all) createHash('sha256').update(JSON.stringify(r.data) + JSON.stringify(r.metadata)).digest();
    const shaMs = Math.max(1, Date.now() - t);
    const rate = (n, ms) => Math.round((n / ms) * 1000);
    process.stdout.write(
      [
        `events: ${total} in ${streams} streams, 8 concurrent writers`,
        `append (EventStore.append):  ${rate(total, appendMs)} events/s   raw INSERT: ${rate(total, rawMs)} rows/s   ratio ${(appendMs / rawMs).toFixed(2)}x slower`,
        `verify (whole ledger):       ${verifyMs} ms   bare SHA-256 over the same bytes: ${shaMs} ms   ratio ${(verifyMs / shaMs).toFixed(1)}x`,
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
