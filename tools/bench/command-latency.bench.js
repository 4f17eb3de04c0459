#!/usr/bin/env node
'use strict';
/**
 * `npm run bench:commands`: one protocol command end to end (HTTP API -> Temporal Update -> decider ->
 * events in PostgreSQL, answered once stored) against the same command sent directly as a Temporal
 * Update (the baseline, measured in the same run on the same servers), at 1, 16 and 64 concurrent
 * courses. Prints p50/p95/p99 of each and their ratio. Starts its own PostgreSQL and Temporal dev
 * server, and runs the compiled worker and API as separate processes, as `npm start` does.
 * BENCH_COMMANDS sets the commands per course, path and level (default 20; at least BENCH_MIN_SAMPLES,
 * default 50, per path and level).
 *
 * Fairness: both paths send the same Update (same command, an update id as the API sets it) from this
 * process, interleaved on every course (course i sends its k-th command by path (i + k) % 2), so both
 * see the same load; one command per course and path is sent first and not counted. Before measuring,
 * the PostgreSQL statements per command of each path are counted (log_statement) and printed, with the
 * API process's CPU time per command (BENCH_COUNT=0 skips the count).
 *
 * `--cluster` (npm run bench:commands -- --cluster): the same measurement, in the same run, on the dev
 * server (one worker, one API) and then on the production topology (tools/scripts/lib/temporal-server.js:
 * the Temporal server on PostgreSQL as four processes, two course workers, two API instances, the HTTP
 * path alternating between them), printed side by side with commands/s.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { ROOT, build } = require('../scripts/lib/setup');
const { startCluster } = require('../scripts/lib/postgres');
const { findTemporalCli, startDevServer } = require('../scripts/lib/temporal');
const { findTemporalServer, startTemporalCluster } = require('../scripts/lib/temporal-server');
const { freePort, sleep } = require('../scripts/lib/ports');
const { randomUUID } = require('node:crypto');

const PER_COURSE = Number(process.env.BENCH_COMMANDS || 20);
const LEVELS = [1, 16, 64];
const COUNT = process.env.BENCH_COUNT !== '0';
const CLUSTER = process.argv.includes('--cluster');
const COUNTED = 10;
// Each path gets at least this many samples per level (more commands per course where there are few
// courses): with 10 samples, p95 and p99 are both just the slowest one.
const MIN_SAMPLES = Number(process.env.BENCH_MIN_SAMPLES || 50);
const log = (m) => process.stderr.write(`[bench] ${m}\n`);

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const stats = (ms) => {
  const sorted = [...ms].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), n: sorted.length };
};
/** CPU time (user + system, ms) a process has used so far, from /proc (Linux; 0 elsewhere). */
const cpuMs = (pid) => {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks, USER_HZ = 100
  } catch {
    return 0;
  }
};

const runProcess = (entry, env, ready) =>
  new Promise((resolve, reject) => {
    // The worker's heap limit (WORKER_MAX_HEAP_MB) is a node option: applied here, as npm start does.
    const nodeOptions = entry.startsWith('dist/apps/worker/') ? require(path.join(ROOT, 'dist/libs/config/src')).workerNodeOptions(env) : [];
    const child = spawn(process.execPath, [...nodeOptions, '-r', path.join(ROOT, 'tools/scripts/lib/register-aliases.js'), path.join(ROOT, entry)], {
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

/** Measures both paths on one backend: 'dev' (the dev server, one worker, one API) or 'cluster'. */
const runBackend = async (backend) => {
  log(`--- ${backend === 'dev' ? 'Temporal dev server, 1 worker, 1 API' : 'Temporal cluster (4 processes), 2 workers, 2 APIs'}`);
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
    const temporal =
      backend === 'dev'
        ? await startDevServer({ cli: findTemporalCli({ log }), port: await freePort(), log, logFile: path.join(dir, 'temporal.log') })
        : await startTemporalCluster({
            binaries: findTemporalServer({ log }),
            pg: { host: '127.0.0.1', port: pg.port, user: 'temporal' },
            adminUrl: `postgres://postgres@127.0.0.1:${pg.port}/postgres`,
            dir: path.join(dir, 'temporal'),
            log,
          });
    stops.push(() => temporal.stop());
    const db = await createDataSource(pg.url, 2).initialize();
    await runMigrations(db);

    const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    fs.mkdirSync(path.join(dir, 'keys'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'keys', 'bench-jwt.pem'), await exportSPKI(publicKey));
    const instances = backend === 'dev' ? 1 : 2;
    const ports = [];
    for (let i = 0; i < instances; i++) ports.push(await freePort());
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
    };
    // The first worker first: it creates the payload keys that the others, the APIs and this process then read.
    for (let i = 0; i < instances; i++) {
      const worker = await runProcess('dist/apps/worker/src/main.js', env, /polling task queue/);
      stops.push(async () => worker.kill('SIGTERM'));
    }
    const apis = [];
    for (const port of ports) {
      const api = await runProcess('dist/apps/api/src/main.js', { ...env, PORT: String(port) }, /listening on/);
      stops.push(async () => api.kill('SIGTERM'));
      apis.push(api);
    }
    const apiCpuMs = () => apis.reduce((sum, api) => sum + cpuMs(api.pid), 0);

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
    // undici's own request API on a keep-alive pool: the client's cost (fetch adds WHATWG streams) stays out of the API's number.
    const { Pool } = require('undici');
    // One pool per API instance; requests alternate between them, as a load balancer's round robin.
    const pools = ports.map((port) => new Pool(`http://127.0.0.1:${port}`, { connections: Math.max(...LEVELS) + 8, pipelining: 1 }));
    stops.push(() => Promise.all(pools.map((pool) => pool.close())));
    let turn = 0;
    const post = async (route, body) => {
      const http = pools[turn++ % pools.length];
      const res = await http.request({ path: route, method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const json = await res.body.json();
      if (res.statusCode >= 300) throw new Error(`${route}: ${res.statusCode} ${JSON.stringify(json)}`);
      return json;
    };
    const alert = { type: 'RaiseAlert', data: { reason: 'Benchmark alert' } };
    const viaApi = (courseId) => post(`/courses/${courseId}/commands`, alert);
    // What the API sends: the command with its id in the metadata, and that id as the Update id.
    const direct = (courseId) => {
      const commandId = `cmd-${randomUUID().replace(/-/g, '')}`;
      return client.workflow.getHandle(courseWorkflowId(courseId)).executeUpdate(submitCommandUpdate, {
        args: [{ ...alert, metadata: { actor, now: new Date().toISOString(), correlationId: randomUUID(), commandId } }],
        updateId: commandId,
      });
    };
    const paths = [viaApi, direct];

    log('warming up');
    const warm = await post('/courses', { patientRef: 'P-BENCH-0', siteId: 'site-a', protocolId: 'mdma-at-ptsd' });
    for (let i = 0; i < 10; i++) for (const send of paths) await send(warm.courseId);

    let statements = null;
    if (COUNT && backend === 'dev') {
      // Every statement PostgreSQL receives while one path sends commands one at a time, grouped by text.
      const logFile = path.join(dir, 'pg', 'server.log');
      const setLogging = async (value) => {
        await db.query(`ALTER SYSTEM SET log_statement = '${value}'`);
        await db.query('SELECT pg_reload_conf()');
        await sleep(300);
      };
      const countPath = async (send) => {
        const course = await post('/courses', { patientRef: `P-BENCH-COUNT-${send === direct ? 'D' : 'A'}`, siteId: 'site-a', protocolId: 'mdma-at-ptsd' });
        await send(course.courseId); // the first command of a course is not the steady state
        const from = fs.statSync(logFile).size;
        await setLogging('all');
        const cpu0 = apiCpuMs();
        for (let i = 0; i < COUNTED; i++) await send(course.courseId);
        const cpu = (apiCpuMs() - cpu0) / COUNTED;
        await setLogging('none');
        const text = fs.readFileSync(logFile, 'utf8').slice(from);
        const counts = new Map();
        // One entry per line that starts with a timestamp; a multi-line statement continues on the lines after.
        for (const entry of text.split(/\n(?=\d{4}-\d\d-\d\d )/)) {
          const m = /LOG:\s+(?:statement|execute [^:]*):\s*([\s\S]*)/.exec(entry);
          if (!m) continue;
          const sql = m[1].replace(/\s+/g, ' ').trim();
          if (/ALTER SYSTEM|pg_reload_conf/.test(sql)) continue;
          const key = sql.slice(0, 100);
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
        return { counts, cpu };
      };
      statements = { api: await countPath(viaApi), direct: await countPath(direct) };
    }

    const rows = [];
    for (const level of LEVELS) {
      const courses = await Promise.all(
        Array.from({ length: level }, (_, i) => post('/courses', { patientRef: `P-BENCH-${level}-${i}`, siteId: 'site-a', protocolId: 'mdma-at-ptsd' })),
      );
      // Not counted: the first command of each course by each path.
      await Promise.all(courses.map(async ({ courseId }) => { for (const send of paths) await send(courseId); }));
      const latencies = [[], []];
      const perCourse = Math.max(PER_COURSE, Math.ceil(MIN_SAMPLES / level));
      const cpu0 = apiCpuMs();
      const wall0 = Date.now();
      await Promise.all(
        courses.map(async ({ courseId }, c) => {
          for (let i = 0; i < 2 * perCourse; i++) {
            const which = (c + i) % 2;
            const t = process.hrtime.bigint();
            await paths[which](courseId);
            latencies[which].push(Number(process.hrtime.bigint() - t) / 1e6);
          }
        }),
      );
      const perSecond = (2 * level * perCourse) / ((Date.now() - wall0) / 1000);
      const apiCpu = (apiCpuMs() - cpu0) / (level * perCourse);
      rows.push({ level, viaApi: stats(latencies[0]), direct: stats(latencies[1]), apiCpu, perSecond });
      log(`${level} concurrent courses done`);
    }
    const [{ count }] = await db.query(`SELECT count(*)::int AS count FROM es.events WHERE event_type = 'AlertRaised'`);
    await db.destroy();
    return { backend, rows, statements, count };
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await sleep(500);
  }
};

const main = async () => {
  build(log);
  require('../scripts/lib/register-aliases');
  const f = (n) => n.toFixed(1).padStart(7);
  const results = [];
  for (const backend of CLUSTER ? ['dev', 'cluster'] : ['dev']) results.push(await runBackend(backend));
  for (const { backend, rows, statements, count } of results) {
    if (statements) {
      process.stdout.write(`\nPostgreSQL statements per command (${COUNTED} commands one at a time on one course; API CPU ${statements.api.cpu.toFixed(1)} ms per command)\n`);
      const keys = [...new Set([...statements.api.counts.keys(), ...statements.direct.counts.keys()])].sort();
      const per = (m, k) => ((m.get(k) ?? 0) / COUNTED).toFixed(1).padStart(5);
      process.stdout.write('  API | direct | statement\n');
      for (const k of keys) process.stdout.write(`${per(statements.api.counts, k)} | ${per(statements.direct.counts, k)}  | ${k}\n`);
      const total = (m) => [...m.values()].reduce((a, b) => a + b, 0) / COUNTED;
      process.stdout.write(`${total(statements.api.counts).toFixed(1).padStart(5)} | ${total(statements.direct.counts).toFixed(1).padStart(5)}  | total\n`);
    }
    const where = backend === 'dev' ? 'Temporal dev server, 1 worker, 1 API' : 'Temporal cluster on PostgreSQL (4 processes), 2 workers, 2 APIs';
    process.stdout.write(`\n${where}: one command end to end (RaiseAlert; ${PER_COURSE} per course and path, at least ${MIN_SAMPLES} per path; interleaved), latency in ms\n`);
    process.stdout.write('courses | path            |     p50 |     p95 |     p99 | ratio p50 | ratio p95 | ratio p99 | API CPU ms/cmd | cmds/s (both) | n\n');
    for (const { level, viaApi, direct, apiCpu, perSecond } of rows) {
      process.stdout.write(`${String(level).padStart(7)} | Temporal update | ${f(direct.p50)} | ${f(direct.p95)} | ${f(direct.p99)} |           |           |           |\n`);
      process.stdout.write(
        `${String(level).padStart(7)} | HTTP API        | ${f(viaApi.p50)} | ${f(viaApi.p95)} | ${f(viaApi.p99)} | ${(viaApi.p50 / direct.p50).toFixed(2).padStart(8)}x | ${(viaApi.p95 / direct.p95).toFixed(2).padStart(8)}x | ${(viaApi.p99 / direct.p99).toFixed(2).padStart(8)}x | ${apiCpu.toFixed(1).padStart(14)} | ${perSecond.toFixed(0).padStart(13)} | ${viaApi.n}\n`,
      );
    }
    process.stdout.write(`(${count} AlertRaised events stored in PostgreSQL)\n`);
  }
  if (results.length === 2) {
    const [dev, cluster] = results;
    process.stdout.write('\nCluster against dev server, same run (HTTP API path; ratio > 1: slower on the cluster)\n');
    process.stdout.write('courses | p50 dev | p50 cluster | ratio | p99 dev | p99 cluster | ratio | cmds/s dev | cmds/s cluster\n');
    dev.rows.forEach((d, i) => {
      const c = cluster.rows[i];
      process.stdout.write(
        `${String(d.level).padStart(7)} | ${f(d.viaApi.p50)} | ${f(c.viaApi.p50).padStart(11)} | ${(c.viaApi.p50 / d.viaApi.p50).toFixed(2).padStart(5)} | ${f(d.viaApi.p99)} | ${f(c.viaApi.p99).padStart(11)} | ${(c.viaApi.p99 / d.viaApi.p99).toFixed(2).padStart(5)} | ${d.perSecond.toFixed(0).padStart(10)} | ${c.perSecond.toFixed(0).padStart(14)}\n`,
      );
    });
  }
};

main().catch((error) => {
  process.stderr.write(`bench failed: ${error.stack || error.message}\n`);
  process.exit(1);
});
