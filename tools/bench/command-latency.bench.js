#!/usr/bin/env node
'use strict';
/**
 * `npm run bench:commands`: one protocol command end to end (HTTP API -> Temporal Update -> decider ->
 * events in PostgreSQL, answered once stored) against the same command sent directly as a Temporal
 * Update (the baseline, measured in the same run on the same servers), at 1, 16 and 64 concurrent
 * courses. Prints p50/p95/p99 of each and their ratio. Starts its own PostgreSQL and Temporal dev
 * server, and runs the compiled worker and API as separate processes, as `npm start` does.
 * BENCH_COMMANDS sets the commands per course and level (default 20).
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { ROOT, build } = require('../scripts/lib/setup');
const { startCluster } = require('../scripts/lib/postgres');
const { findTemporalCli, startDevServer } = require('../scripts/lib/temporal');
const { freePort, sleep } = require('../scripts/lib/ports');

const PER_COURSE = Number(process.env.BENCH_COMMANDS || 20);
const LEVELS = [1, 16, 64];
const log = (m) => process.stderr.write(`[bench] ${m}\n`);

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const stats = (ms) => {
  const sorted = [...ms].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), n: sorted.length };
};

const runProcess = (entry, env, ready) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', path.join(ROOT, 'tools/scripts/lib/register-aliases.js'), path.join(ROOT, entry)], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${entry} not ready after 90 s: ${out.slice(-1500)}`)), 90_000);
    const onData = (c) => {
      out += c.toString();
      if (ready.test(out)) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${entry} exited (${code}): ${out.slice(-1500)}`)));
  });

const main = async () => {
  build(log);
  require('../scripts/lib/register-aliases');
  const { SignJWT, generateKeyPair, exportSPKI } = require('jose');
  const { Client, Connection } = require('@temporalio/client');
  const { createPayloadCodec, temporalDataConverter } = require(path.join(ROOT, 'dist/libs/crypto/src'));
  const { submitCommandUpdate, courseWorkflowId } = require(path.join(ROOT, 'dist/libs/contracts/src'));
  const { createDataSource, runMigrations } = require(path.join(ROOT, 'dist/libs/event-store/src'));

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'care-bench-cmd-'));
  fs.chmodSync(dir, 0o755);
  const stops = [];
  try {
    const pg = await startCluster({ clusterDir: path.join(dir, 'pg'), database: 'bench', log });
    stops.push(async () => pg.stop());
    const temporal = await startDevServer({ cli: findTemporalCli({ log }), port: await freePort(), log, logFile: path.join(dir, 'temporal.log') });
    stops.push(() => temporal.stop());
    const db = await createDataSource(pg.url, 2).initialize();
    await runMigrations(db);

    const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    fs.mkdirSync(path.join(dir, 'keys'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'keys', 'bench-jwt.pem'), await exportSPKI(publicKey));
    const port = await freePort();
    const env = {
      ...process.env,
      DATABASE_URL: pg.url,
      TEMPORAL_ADDRESS: temporal.address,
      DATA_DIR: path.join(dir, 'data'),
      AUTH_PUBLIC_KEY_FILE: path.join(dir, 'keys', 'bench-jwt.pem'),
      AUTH_ISSUER: 'bench',
      AUTH_AUDIENCE: 'bench',
      RATE_LIMIT_PER_MINUTE: '1000000',
      RUN_MIGRATIONS: 'false',
      LOG_LEVEL: 'info', // the start-up lines are how this script knows the processes are ready
      PORT: String(port),
    };
    // The worker first: it creates the payload keys that the API and this process then read.
    const worker = await runProcess('dist/apps/worker/src/main.js', env, /polling task queue/);
    stops.push(async () => worker.kill('SIGTERM'));
    const api = await runProcess('dist/apps/api/src/main.js', env, /listening on/);
    stops.push(async () => api.kill('SIGTERM'));
    const base = `http://127.0.0.1:${port}`;

    const codec = createPayloadCodec({ keysFile: path.join(dir, 'data', 'keys', 'payload-codec.json'), generateKeys: false });
    const connection = await Connection.connect({ address: temporal.address });
    stops.push(() => connection.close());
    const client = new Client({ connection, dataConverter: temporalDataConverter(codec) });
    const actor = { id: 'u-bench', name: 'Bench Coordinator', role: 'coordinator', siteId: 'site-a' };
    const token = await new SignJWT({ name: actor.name, role: actor.role, site: actor.siteId, auth_time: Math.floor(Date.now() / 1000) })
      .setProtectedHeader({ alg: 'EdDSA' })
      .setSubject(actor.id)
      .setIssuer('bench')
      .setAudience('bench')
      .setExpirationTime('2h')
      .sign(privateKey);
    const post = async (route, body) => {
      const res = await fetch(`${base}${route}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const json = await res.json();
      if (res.status >= 300) throw new Error(`${route}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    const alert = { type: 'RaiseAlert', data: { reason: 'Benchmark alert' } };

    log('warming up');
    const warm = await post('/courses', { patientRef: 'P-BENCH-0', siteId: 'site-a', protocolId: 'mdma-at-ptsd' });
    for (let i = 0; i < 10; i++) await post(`/courses/${warm.courseId}/commands`, alert);

    const rows = [];
    for (const level of LEVELS) {
      const courses = await Promise.all(
        Array.from({ length: level }, (_, i) => post('/courses', { patientRef: `P-BENCH-${level}-${i}`, siteId: 'site-a', protocolId: 'mdma-at-ptsd' })),
      );
      const measure = async (send) => {
        const latencies = [];
        await Promise.all(
          courses.map(async ({ courseId }) => {
            for (let i = 0; i < PER_COURSE; i++) {
              const t = process.hrtime.bigint();
              await send(courseId);
              latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
            }
          }),
        );
        return stats(latencies);
      };
      const viaApi = await measure((courseId) => post(`/courses/${courseId}/commands`, alert));
      const direct = await measure((courseId) =>
        client.workflow.getHandle(courseWorkflowId(courseId)).executeUpdate(submitCommandUpdate, {
          args: [{ ...alert, metadata: { actor, now: new Date().toISOString(), correlationId: 'bench' } }],
        }),
      );
      rows.push({ level, viaApi, direct });
      log(`${level} concurrent courses done`);
    }
    const [{ count }] = await db.query(`SELECT count(*)::int AS count FROM es.events WHERE event_type = 'AlertRaised'`);
    await db.destroy();

    const f = (n) => n.toFixed(1).padStart(7);
    process.stdout.write(`\nOne command end to end (RaiseAlert; ${PER_COURSE} per course and path), latency in ms\n`);
    process.stdout.write('courses | path            |     p50 |     p95 |     p99 | ratio p50 | ratio p95 | ratio p99\n');
    for (const { level, viaApi, direct } of rows) {
      process.stdout.write(`${String(level).padStart(7)} | Temporal update | ${f(direct.p50)} | ${f(direct.p95)} | ${f(direct.p99)} |           |           |\n`);
      process.stdout.write(
        `${String(level).padStart(7)} | HTTP API        | ${f(viaApi.p50)} | ${f(viaApi.p95)} | ${f(viaApi.p99)} | ${(viaApi.p50 / direct.p50).toFixed(2).padStart(8)}x | ${(viaApi.p95 / direct.p95).toFixed(2).padStart(8)}x | ${(viaApi.p99 / direct.p99).toFixed(2).padStart(8)}x\n`,
      );
    }
    process.stdout.write(`(${count} AlertRaised events stored in PostgreSQL)\n`);
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await sleep(500);
  }
};

main().catch((error) => {
  process.stderr.write(`bench failed: ${error.stack || error.message}\n`);
  process.exit(1);
});
