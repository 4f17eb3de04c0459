#!/usr/bin/env node
'use strict';
/**
 * `npm run bench:audit`: the auditors' read paths against hand-written baselines, in one run.
 *
 * - Query: p50/p95 of `AuditService.events` (the path behind `GET /audit/events`: the filter query with
 *   its optional predicates, the correction joins, the access-log write and the entry mapping) against
 *   a hand-written SQL of the same filter (literal predicates only), for each filter of the API.
 * - Export: `AuditService.stream` (lines built by PostgreSQL, NDJSON and CSV) into a sink with
 *   backpressure, against `psql -c "COPY (SELECT ...) TO STDOUT"` of the same rows.
 *
 * Loads BENCH_EVENTS events (default 1,000,000) in courses of 100 through es.append_events (real hash
 * chains; 100 events per call, 3 writers), 10 sites. Starts its own PostgreSQL in a temp folder unless
 * DATABASE_URL is set (then it creates and drops a database of its own on that server).
 * BENCH_QUERIES sets the samples per filter (default 40).
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { Writable } = require('node:stream');
const { once } = require('node:events');
const { setImmediate } = require('node:timers');
const { Client } = require('pg');
const { ROOT, build } = require('../scripts/lib/setup');
const { startCluster, findServerBinaries } = require('../scripts/lib/postgres');

const N = Number(process.env.BENCH_EVENTS || 1_000_000);
const SAMPLES = Number(process.env.BENCH_QUERIES || 40);
const PER_COURSE = 100;
const SITES = 10;
const ROLES = ['coordinator', 'therapist', 'physician', 'pharmacist'];
const TYPES = ['AssessmentRecorded', 'VitalsRecorded', 'DoseAdministered', 'SessionNoteRecorded', 'ConsentRecorded'];
const log = (m) => process.stderr.write(`[bench] ${m}\n`);

const psqlBinary = () => {
  const candidates = [findServerBinaries() && path.join(findServerBinaries(), 'psql'), '/usr/bin/psql'].filter(Boolean);
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) throw new Error('psql not found (install the PostgreSQL client)');
  return found;
};

/** Loads `n` events: courses of 100 (one append each), spread over sites, actors, roles and time. */
const load = async (es, db, n) => {
  const courses = Math.ceil(n / PER_COURSE);
  const t0 = Date.now();
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: 3 }, async () => {
      let now = new Date(0);
      const store = new es.EventStore(db, () => now);
      for (let c = next++; c < courses; c = next++) {
        now = new Date(Date.UTC(2026, 0, 1) + c * 60_000);
        const site = `site-${c % SITES}`;
        const events = Array.from({ length: PER_COURSE }, (_, v) => {
          const a = (c * 7 + v) % 40;
          const actor = { id: `u-${a}`, name: `Clinician ${a}`, role: ROLES[a % ROLES.length], siteId: site };
          const metadata = { actor, occurredAt: now.toISOString(), correlationId: `corr-${c}-${v}` };
          if (v === 0) return { type: 'CourseStarted', schemaVersion: 1, data: { courseId: `c-${c}`, patientRef: `P-${c}`, siteId: site, protocolId: 'mdma-at-ptsd' }, metadata };
          if (v % 50 === 0) return { type: 'EventCorrected', schemaVersion: 1, data: { eventVersion: v - 1, correctedType: TYPES[(v - 2) % TYPES.length], reason: 'Transcription error', values: { score: v } }, metadata };
          return { type: TYPES[(v - 1) % TYPES.length], schemaVersion: 1, data: { score: (c * v) % 97, note: `observation ${v}` }, metadata };
        });
        await store.append(`course-c-${c}`, 'course', 0, events);
        done += PER_COURSE;
        if (done % 50_000 === 0) process.stderr.write(`\r[bench] loading ${done}/${courses * PER_COURSE} events`);
      }
    }),
  );
  process.stderr.write('\n');
  // A log in steady state, as autovacuum leaves it (visibility map and hint bits set), for both paths alike.
  await db.query('VACUUM ANALYZE es.events');
  return { events: courses * PER_COURSE, courses, ms: Date.now() - t0 };
};

// The best hand-written SQL for the same page: the row columns an entry shows, by the filter's index.
const SELECT = `SELECT e.global_position, e.transaction_id, e.stream_id, e.stream_version, e.event_id, e.event_type, e.schema_version, e.data,
                       e.metadata, e.recorded_at, e.hash, e.site_id, e.patient_ref, e.clinical_time, e.late_entry
                  FROM es.events e`;
const ORDER = 'ORDER BY e.transaction_id, e.global_position LIMIT 101';

/** The API's filters, each with a random value per sample and the hand-written SQL of the same filter. */
const filters = (courses) => {
  const course = () => Math.floor(Math.random() * courses);
  const siteOf = (c) => `site-${c % SITES}`;
  const pick = (list) => list[Math.floor(Math.random() * list.length)];
  return [
    { name: 'site only (first page)', make: () => ({ site: pick([...Array(SITES).keys()].map((i) => `site-${i}`)), f: {} }), sql: (s) => [`${SELECT} WHERE e.site_id = $1 ${ORDER}`, [s.site]] },
    { name: 'courseId', make: () => { const c = course(); return { site: siteOf(c), f: { courseId: `c-${c}` } }; }, sql: (s) => [`${SELECT} WHERE e.site_id = $1 AND e.stream_id = $2 ${ORDER}`, [s.site, `course-${s.f.courseId}`]] },
    { name: 'patientRef', make: () => { const c = course(); return { site: siteOf(c), f: { patientRef: `P-${c}` } }; }, sql: (s) => [`${SELECT} WHERE e.site_id = $1 AND e.patient_ref = $2 ${ORDER}`, [s.site, s.f.patientRef]] },
    { name: 'actorId', make: () => ({ site: `site-${Math.floor(Math.random() * SITES)}`, f: { actorId: `u-${Math.floor(Math.random() * 40)}` } }), sql: (s) => [`${SELECT} WHERE e.site_id = $1 AND e.actor_id = $2 ${ORDER}`, [s.site, s.f.actorId]] },
    { name: 'role + eventType', make: () => ({ site: `site-${Math.floor(Math.random() * SITES)}`, f: { role: pick(ROLES), eventType: pick(TYPES) } }), sql: (s) => [`${SELECT} WHERE e.site_id = $1 AND e.actor_role = $2 AND e.event_type = $3 ${ORDER}`, [s.site, s.f.role, s.f.eventType]] },
    { name: 'eventType EventCorrected', make: () => ({ site: `site-${Math.floor(Math.random() * SITES)}`, f: { eventType: 'EventCorrected' } }), sql: (s) => [`${SELECT} WHERE e.site_id = $1 AND e.event_type = $2 ${ORDER}`, [s.site, s.f.eventType]] },
    {
      name: 'time range (1 h)',
      make: () => {
        const from = Date.UTC(2026, 0, 1) + Math.floor(Math.random() * Math.max(1, courses - 60)) * 60_000;
        return { site: `site-${Math.floor(Math.random() * SITES)}`, f: { from: new Date(from).toISOString(), to: new Date(from + 3_600_000).toISOString() } };
      },
      sql: (s) => [`${SELECT} WHERE e.site_id = $1 AND e.recorded_at >= $2 AND e.recorded_at < $3 ${ORDER}`, [s.site, s.f.from, s.f.to]],
    },
  ];
};

const percentile = (xs, p) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};
const ms = (t) => Number(process.hrtime.bigint() - t) / 1e6;

/** A sink that counts bytes and, like a slow socket, asks the producer to wait now and then. */
const countingSink = () => {
  let bytes = 0;
  const sink = new Writable({
    highWaterMark: 64 * 1024,
    write(chunk, _enc, cb) {
      bytes += chunk.length;
      setImmediate(cb);
    },
  });
  return { sink, bytes: () => bytes };
};

const main = async () => {
  build(log);
  require('../scripts/lib/register-aliases');
  const es = require(path.join(ROOT, 'dist/libs/event-store/src'));
  const { AuditService } = require(path.join(ROOT, 'dist/apps/api/src/audit/audit.service'));
  let cluster = null;
  let dropDatabase = async () => undefined;
  let url = process.env.DATABASE_URL;
  if (url) {
    const name = `care_bench_audit_${process.pid}`;
    const admin = new Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const u = new URL(url);
    u.pathname = `/${name}`;
    url = u.toString();
    dropDatabase = async () => {
      const c = new Client({ connectionString: process.env.DATABASE_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    };
  } else {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'care-bench-audit-'));
    fs.chmodSync(dir, 0o755);
    cluster = await startCluster({ clusterDir: path.join(dir, 'pg'), database: 'bench', log });
    url = cluster.url;
  }
  const owner = await es.createDataSource(url, 4).initialize();
  let app = null;
  try {
    await es.runMigrations(owner);
    log(`loading ${N} events through es.append_events`);
    const loaded = await load(es, owner, N);
    log(`loaded ${loaded.events} events in ${(loaded.ms / 1000).toFixed(1)} s (${Math.round((loaded.events / loaded.ms) * 1000)} events/s)`);
    // The service's own connection: the restricted role, as in production.
    app = await es.createDataSource(url, 4, { role: 'care_app' }).initialize();
    const service = new AuditService(app, { ledger: { origin: 'bench' } }, () => {
      throw new Error('no signer needed');
    });
    const principal = (site) => ({ id: 'u-aud', name: 'Ada Auditor', role: 'auditor', siteId: site, sites: [site], authTime: null });

    const out = [`events: ${loaded.events} in ${loaded.courses} courses, ${SITES} sites; ${SAMPLES} samples per filter, page of 100`];
    out.push(
      `${'query filter'.padEnd(26)} ${'service p50'.padStart(11)} ${'p95'.padStart(9)}   ${'SQL p50'.padStart(9)} ${'p95'.padStart(9)}   ${'SQL+log p50'.padStart(11)} ${'p95'.padStart(9)}   p95 ratio to SQL / SQL+log`,
    );
    const ratios = [];
    const loggedRatios = [];
    // Every read of the audit trail writes its access row durably before the data leaves (a commit, so a
    // WAL flush): "SQL+log" is the same hand-written page with that INSERT in the same statement, the
    // least any compliant implementation does; "SQL" is the bare read.
    const LOG = `WITH logged AS (INSERT INTO audit.access_log (actor_id, actor_name, actor_role, actor_site, action, resource, query, outcome)
                 VALUES ('u-aud', 'Ada Auditor', 'auditor', $1, 'read', 'audit-events', '{}', 'ok') RETURNING 1) `;
    for (const filter of filters(loaded.courses)) {
      const runs = { svc: [], raw: [], logged: [] };
      for (let i = 0; i < SAMPLES + 2; i++) {
        const sample = filter.make();
        const [sql, params] = filter.sql(sample);
        const timed = async (fn) => {
          const t = process.hrtime.bigint();
          await fn();
          return ms(t);
        };
        const paths = [
          ['svc', () => service.events(principal(sample.site), sample.f, undefined, 100, 'bench')],
          ['raw', () => app.query(sql, params)],
          ['logged', () => app.query(LOG + sql, params)],
        ];
        // Rotate which goes first, so none always finds the others' pages in the cache.
        for (let k = 0; k < paths.length; k++) {
          const [name, fn] = paths[(i + k) % paths.length];
          runs[name].push(await timed(fn));
        }
      }
      // The first two samples warm the caches; they are not counted.
      const p = (xs, q) => percentile(xs.slice(2), q);
      const s95 = p(runs.svc, 95);
      const r95 = p(runs.raw, 95);
      const l95 = p(runs.logged, 95);
      ratios.push(s95 / r95);
      loggedRatios.push(s95 / l95);
      const f = (x) => `${x.toFixed(1).padStart(6)} ms`;
      out.push(
        `${filter.name.padEnd(26)}   ${f(p(runs.svc, 50))} ${f(s95)}   ${f(p(runs.raw, 50))} ${f(r95)}     ${f(p(runs.logged, 50))} ${f(l95)}   ${(s95 / r95).toFixed(2)}x / ${(s95 / l95).toFixed(2)}x`,
      );
      log(out[out.length - 1]);
    }
    const geo = (xs) => Math.exp(xs.reduce((a, r) => a + Math.log(r), 0) / xs.length).toFixed(2);
    out.push(`query p95 ratio, geometric mean over filters: ${geo(ratios)}x to SQL, ${geo(loggedRatios)}x to SQL+log`);

    // Export of one site's events against COPY of the same rows.
    const site = 'site-0';
    const [{ rows }] = await owner.query(`SELECT count(*)::int AS rows FROM es.events e WHERE e.site_id = $1`, [site]);
    const exportRun = async (format) => {
      const { sink, bytes } = countingSink();
      const t = process.hrtime.bigint();
      const write = async (chunk) => {
        if (!sink.write(chunk)) await once(sink, 'drain');
      };
      let n = 0;
      for await (const text of service.stream(principal(site), {}, format, 'bench')) {
        for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
        await write(text);
      }
      // The CSV header is a line too; a quoted cell never holds a raw newline here (the loaded data has none).
      if (format === 'csv') n--;
      sink.end();
      await once(sink, 'finish');
      if (n !== rows) throw new Error(`export wrote ${n} entries, expected ${rows}`);
      return { ms: ms(t), bytes: bytes() };
    };
    const copyRun = async () => {
      const sql = `COPY (${SELECT} WHERE e.site_id = '${site}' ORDER BY e.transaction_id, e.global_position) TO STDOUT`;
      const t = process.hrtime.bigint();
      const child = spawn(psqlBinary(), ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', sql], { stdio: ['ignore', 'pipe', 'inherit'] });
      let bytes = 0;
      let lines = 0;
      child.stdout.on('data', (c) => {
        bytes += c.length;
        for (let i = c.indexOf(10); i !== -1; i = c.indexOf(10, i + 1)) lines++;
      });
      const [code] = await once(child, 'close');
      if (code !== 0) throw new Error(`psql exited with ${code}`);
      if (lines !== rows) throw new Error(`COPY wrote ${lines} lines, expected ${rows}`);
      return { ms: ms(t), bytes };
    };
    await copyRun(); // warm the cache for both
    const copy = await copyRun();
    const nd = await exportRun('ndjson');
    const csv = await exportRun('csv');
    const rate = (r) => Math.round((rows / r.ms) * 1000);
    const mib = (b) => (b / 1048576).toFixed(1);
    out.push(`export of ${rows} events (one site):`);
    out.push(`  COPY (SELECT ...) TO STDOUT via psql: ${copy.ms.toFixed(0)} ms, ${rate(copy)} rows/s, ${mib(copy.bytes)} MiB`);
    out.push(`  export NDJSON (AuditService.stream): ${nd.ms.toFixed(0)} ms, ${rate(nd)} rows/s, ${mib(nd.bytes)} MiB   ${(copy.ms / nd.ms).toFixed(2)}x COPY's rows/s`);
    out.push(`  export CSV (AuditService.stream):    ${csv.ms.toFixed(0)} ms, ${rate(csv)} rows/s, ${mib(csv.bytes)} MiB   ${(copy.ms / csv.ms).toFixed(2)}x COPY's rows/s`);
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    if (app?.isInitialized) await app.destroy();
    await owner.destroy();
    await dropDatabase();
    cluster?.stop();
  }
};

if (require.main === module) {
  main().catch((e) => {
    log(`failed: ${e.stack}`);
    process.exit(1);
  });
}

module.exports = { load };
