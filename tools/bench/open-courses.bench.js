#!/usr/bin/env node
'use strict';
/**
 * `npm run bench:open-courses`: what many open courses cost the worker, with its memory bounded by the
 * workflow cache (WORKER_MAX_CACHED_WORKFLOWS) and the heap limit (WORKER_MAX_HEAP_MB).
 *
 * At each level of open courses (BENCH_OPEN_COURSES, default 1000,10000; levels add up, the courses of
 * one level stay open into the next) it measures:
 *   - the worker's resident memory (VmRSS and the peak VmHWM of /proc/<pid>/status, after a pause)
 *     before any course and at each level; the heap after the last full GC of its main thread and of its
 *     workflow thread (which holds the cached runs), from `--trace-gc` (BENCH_TRACE_GC=0: without); the
 *     Temporal cache size from its metrics endpoint;
 *   - one command (RaiseAlert through the HTTP API, one at a time) on a warm course (just used: in the
 *     cache) and on a cold one (opened more than a cache size of courses before and not touched since:
 *     evicted, so the worker fetches and replays its history; the cache misses are counted to show it),
 *     interleaved, p50/p99 (BENCH_LATENCY_SAMPLES per kind, default 100);
 *   - the course start rate at BENCH_START_CONCURRENCY (default 16) concurrent starts: POST /courses
 *     against the bare `executeUpdateWithStart` the API sends (same workflow id scheme, args, conflict
 *     and reuse policies, the StartCourse command built by the same parser, update id `start-course`),
 *     BENCH_START_SAMPLES per path (default 240) in 4 alternating rounds on the same servers, with the
 *     ratio and the CPU per start of every server process.
 * The courses beyond the measured starts are opened with the bare start at BENCH_OPEN_CONCURRENCY
 * (default 20) concurrent starts: only their number matters to the worker's memory. Last, the worker
 * is restarted (cache BENCH_PROBE_CACHE, default the configured one) and one command on each of that
 * many untouched courses fills its cache, reading memory as it fills: RSS = base + cached runs x cost.
 *
 * Starts its own PostgreSQL and Temporal dev server (127.0.0.1 only) and runs the compiled worker (with
 * the heap option `npm start` passes) and API as separate processes; stops all of them at the end, on
 * failure, on Ctrl-C and at the time bound. WORKER_MAX_* pass through to the worker (the first level
 * must exceed the cache plus BENCH_LATENCY_SAMPLES, or no course would be cold). Patient references are
 * synthetic. A quick run: BENCH_OPEN_COURSES=300 WORKER_MAX_CACHED_WORKFLOWS=60 BENCH_LATENCY_SAMPLES=20.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { randomUUID } = require('node:crypto');
const { spawn } = require('node:child_process');
const { ROOT, build } = require('../scripts/lib/setup');
const { startCluster } = require('../scripts/lib/postgres');
const { findTemporalCli, startDevServer } = require('../scripts/lib/temporal');
const { freePort, sleep } = require('../scripts/lib/ports');

const log = (m) => process.stderr.write(`[bench] ${new Date().toISOString().slice(11, 19)} ${m}\n`);
const fail = (m) => {
  process.stderr.write(`${m}\n`);
  process.exit(2);
};
const whole = (name, fallback, min, max) => {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) fail(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  return n;
};

const LEVELS = (process.env.BENCH_OPEN_COURSES || '1000,10000').split(',').map((v) => Number(v.trim()));
if (LEVELS.some((n) => !Number.isInteger(n) || n < 10 || n > 50_000) || LEVELS.some((n, i) => i > 0 && n <= LEVELS[i - 1])) {
  fail(`BENCH_OPEN_COURSES must be increasing whole numbers from 10 to 50000, e.g. 1000,10000; got "${process.env.BENCH_OPEN_COURSES}"`);
}
const START_CONCURRENCY = whole('BENCH_START_CONCURRENCY', 16, 1, 256);
const OPEN_CONCURRENCY = whole('BENCH_OPEN_CONCURRENCY', 20, 1, 256);
const START_SAMPLES = whole('BENCH_START_SAMPLES', 240, START_CONCURRENCY, 5_000);
const LATENCY_SAMPLES = whole('BENCH_LATENCY_SAMPLES', 100, 5, 5_000);
// At the end the worker is restarted with a cache of this size (default: the configured one, with the
// configured heap), which commands on untouched courses then fill; 0 skips it.
const PROBE_CACHE = process.env.BENCH_PROBE_CACHE ? whole('BENCH_PROBE_CACHE', 0, 0, 50_000) : null;
// The worker runs with --trace-gc (0: without): the only view from outside of the workflow thread's heap.
const TRACE_GC = process.env.BENCH_TRACE_GC !== '0';
const START_ROUNDS = 4; // API, bare, bare, API, ... so a drift in load weighs on both paths alike
const WARM_COURSES = 4;
const SETTLE_MS = 8_000; // after opening, before reading RSS: in-flight tasks and appends finish, GC runs
const SITE = 'site-bench';
/** The whole run, the build included: a bound, not an estimate. */
const RUN_TIMEOUT_MS = 600_000 + LEVELS[LEVELS.length - 1] * 150;

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
const stats = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), n: sorted.length };
};
const elapsedMs = (t) => Number(process.hrtime.bigint() - t) / 1e6;

/** VmRSS and VmHWM (peak) of a process in MB, from /proc (Linux only). */
const memoryMb = (pid) => {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
};

/** CPU time (user + system, ms) of a process and, with `children`, of its children (live and reaped), from /proc. */
const cpuMs = (pid, children = false) => {
  const fields = (p) => fs.readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
  try {
    const own = fields(pid);
    let ticks = Number(own[11]) + Number(own[12]) + (children ? Number(own[13]) + Number(own[14]) : 0);
    if (children) {
      for (const entry of fs.readdirSync('/proc')) {
        if (!/^\d+$/.test(entry)) continue;
        try {
          const f = fields(entry);
          if (Number(f[1]) === pid) ticks += Number(f[11]) + Number(f[12]);
        } catch {
          /* gone meanwhile */
        }
      }
    }
    return (ticks * 1000) / 100; // clock ticks, USER_HZ = 100
  } catch {
    return NaN;
  }
};

const stopChild = (child) =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });

/**
 * Spawns a compiled entry point with `nodeArgs` and resolves once `ready` appears in its output.
 * Registered for stopping before it is waited for. Its output keeps being drained into `logFile`
 * (only a short tail is kept in memory, for error messages).
 */
const runProcess = (entry, { env, nodeArgs = [], ready, logFile, track }) => {
  const child = spawn(process.execPath, [...nodeArgs, '-r', path.join(ROOT, 'tools/scripts/lib/register-aliases.js'), path.join(ROOT, entry)], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(() => stopChild(child));
  const file = fs.createWriteStream(logFile);
  // With --trace-gc: each isolate's heap after its last full GC (MB), in the order the isolates appeared.
  const proc = { child, pid: child.pid, exited: null, tail: '', liveHeapMb: new Map(), partial: '' };
  child.once('exit', (code, signal) => {
    proc.exited = { code, signal };
    file.end();
  });
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`${entry} not ready after 90 s: ${proc.tail.slice(-1500)}`)), 90_000);
    const onData = (chunk) => {
      const text = chunk.toString();
      file.write(text);
      proc.tail = (proc.tail + text).slice(-4000);
      if (nodeArgs.includes('--trace-gc')) {
        const lines = (proc.partial + text).split('\n');
        proc.partial = lines.pop();
        for (const line of lines) {
          const gc = /^\[\d+:(0x[0-9a-f]+)\]\s+[\d.]+ ms: (.*)$/.exec(line);
          if (!gc) continue;
          if (!proc.liveHeapMb.has(gc[1])) proc.liveHeapMb.set(gc[1], NaN);
          const full = /^Mark-Compact[^0-9]*[\d.]+ \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB/.exec(gc[2]);
          if (full) proc.liveHeapMb.set(gc[1], Number(full[1]));
        }
      }
      if (seen === null) return;
      seen = (seen + text).slice(-4000);
      if (ready.test(seen)) {
        seen = null;
        clearTimeout(timer);
        resolve(proc);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited (${code}): ${proc.tail.slice(-1500)}`));
    });
  });
};

/** Runs `task(i)` for i in [0, count) with at most `concurrency` at once. */
const pool = async (count, concurrency, task) => {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await task(next++);
    }),
  );
};

const run = async (stops) => {
  build(log);
  require('../scripts/lib/register-aliases');
  const { SignJWT, generateKeyPair, exportSPKI } = require('jose');
  const { Client, Connection, WithStartWorkflowOperation } = require('@temporalio/client');
  const { loadConfig, workerNodeOptions } = require(path.join(ROOT, 'dist/libs/config/src'));
  const { createPayloadCodec, temporalDataConverter } = require(path.join(ROOT, 'dist/libs/crypto/src'));
  const { submitCommandUpdate, courseWorkflowId, COURSE_WORKFLOW_TYPE } = require(path.join(ROOT, 'dist/libs/contracts/src'));
  const { parseCommandInput } = require(path.join(ROOT, 'dist/libs/protocol/src'));
  const { createDataSource, runMigrations } = require(path.join(ROOT, 'dist/libs/event-store/src'));

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'care-bench-open-'));
  fs.chmodSync(dir, 0o755);
  stops.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
  const pg = await startCluster({ clusterDir: path.join(dir, 'pg'), database: 'bench', log });
  stops.push(async () => pg.stop());
  const pgPid = Number(fs.readFileSync(path.join(dir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
  const temporal = await startDevServer({ cli: findTemporalCli({ log }), port: await freePort(), log, logFile: path.join(dir, 'temporal.log') });
  stops.push(() => temporal.stop());
  const db = await createDataSource(pg.url, 2).initialize();
  stops.push(() => db.destroy());
  await runMigrations(db);

  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  fs.mkdirSync(path.join(dir, 'keys'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'keys', 'bench-jwt.pem'), await exportSPKI(publicKey));
  const port = await freePort();
  const metricsPort = await freePort();
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
    // The worker's metrics: its heap and the Temporal runtime's cache figures (loopback only).
    WORKER_METRICS_PORT: String(metricsPort),
    WORKER_METRICS_HOST: '127.0.0.1',
    WORKER_TEMPORAL_METRICS_PORT: String(await freePort()),
  };
  const limits = loadConfig(env, ROOT).worker;
  if (limits.maxCachedWorkflows + LATENCY_SAMPLES + WARM_COURSES >= LEVELS[0]) {
    throw new Error(
      `the first level (${LEVELS[0]}) must exceed the cache (${limits.maxCachedWorkflows}) + BENCH_LATENCY_SAMPLES (${LATENCY_SAMPLES}) + ${WARM_COURSES}, or no course is cold`,
    );
  }
  const nodeArgs = workerNodeOptions(env);
  log(`worker: cache ${limits.maxCachedWorkflows} runs, ${limits.maxConcurrentWorkflowTasks} workflow tasks, heap ${nodeArgs.join(' ')}`);
  const startWorker = (extraEnv = {}) => {
    const workerEnv = { ...env, ...extraEnv };
    return runProcess('dist/apps/worker/src/main.js', {
      env: workerEnv,
      nodeArgs: [...workerNodeOptions(workerEnv), ...(TRACE_GC ? ['--trace-gc'] : [])],
      ready: /polling task queue/,
      logFile: path.join(dir, `worker-${Date.now()}.log`),
      track: (s) => stops.push(s),
    });
  };
  // The worker first: it creates the payload keys that the API and this process then read.
  let worker = await startWorker();
  const api = await runProcess('dist/apps/api/src/main.js', { env, ready: /listening on/, logFile: path.join(dir, 'api.log'), track: (s) => stops.push(s) });
  const alive = () => {
    for (const p of [worker, api]) if (p.exited) throw new Error(`a process exited (${JSON.stringify(p.exited)}): ${p.tail.slice(-1500)}`);
  };
  /** CPU used so far by each server process (ms). */
  const cpu = () => ({ worker: cpuMs(worker.pid), api: cpuMs(api.pid), temporal: cpuMs(temporal.pid), postgres: cpuMs(pgPid, true) });
  const cpuSince = (c0, n) => Object.fromEntries(Object.entries(cpu()).map(([k, v]) => [k, (v - c0[k]) / n]));

  const codec = createPayloadCodec({ keysFile: path.join(dir, 'data', 'keys', 'payload-codec.json'), generateKeys: false });
  const connection = await Connection.connect({ address: temporal.address });
  stops.push(() => connection.close());
  const client = new Client({ connection, dataConverter: temporalDataConverter(codec) });
  const actor = { id: 'u-bench', name: 'Bench Coordinator', role: 'coordinator', siteId: SITE };
  const token = await new SignJWT({ name: actor.name, role: actor.role, site: actor.siteId, auth_time: Math.floor(Date.now() / 1000) })
    .setProtectedHeader({ alg: 'EdDSA' })
    .setSubject(actor.id)
    .setIssuer('bench')
    .setAudience('bench')
    .setExpirationTime('3h')
    .sign(privateKey);
  const { Pool, request } = require('undici');
  const http = new Pool(`http://127.0.0.1:${port}`, { connections: Math.max(START_CONCURRENCY, 4) + 4, pipelining: 1 });
  stops.push(() => http.close());
  const post = async (route, body) => {
    const res = await http.request({ path: route, method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const json = await res.body.json();
    if (res.statusCode >= 300) throw new Error(`${route}: ${res.statusCode} ${JSON.stringify(json)}`);
    return json;
  };

  /** The worker's own metrics: V8 heap in use (main thread), and the Temporal runtime's cache size and misses. */
  const workerMetrics = async () => {
    const res = await request(`http://127.0.0.1:${metricsPort}/metrics`);
    const text = await res.body.text();
    const sum = (name) => {
      let total = null;
      for (const m of text.matchAll(new RegExp(`^(?:\\w+_)?${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'gm'))) total = (total ?? 0) + Number(m[1]);
      return total;
    };
    return { heapMb: (sum('nodejs_heap_size_used_bytes') ?? NaN) / 1_048_576, cacheSize: sum('sticky_cache_size'), misses: sum('sticky_cache_miss') ?? 0 };
  };
  /**
   * Heap after the last full GC (--trace-gc) of the main thread (the first isolate to collect) and of the
   * workflow thread (the largest other one: it holds the cached runs).
   */
  const liveHeaps = () => {
    const v = [...worker.liveHeapMb.values()];
    const others = v.slice(1).filter((x) => !Number.isNaN(x));
    return { main: v[0] ?? NaN, workflow: others.length ? Math.max(...others) : NaN };
  };
  /** Memory and metrics once the worker has been quiet for a while (in-flight tasks and appends done). */
  const settled = async () => {
    await sleep(SETTLE_MS);
    alive();
    return { mem: memoryMb(worker.pid), apiMem: memoryMb(api.pid), metrics: await workerMetrics(), live: liveHeaps() };
  };

  // Patient references are synthetic (P-OPEN-<n>): no personal data anywhere in this run.
  let patients = 0;
  const courseBody = () => ({ patientRef: `P-OPEN-${++patients}`, siteId: SITE, protocolId: 'mdma-at-ptsd' });
  /** The API's start. */
  const startViaApi = async () => (await post('/courses', courseBody())).courseId;
  /** What the API sends to Temporal for a start (courses.service.ts `start`), sent directly. */
  const startDirect = async () => {
    const courseId = randomUUID();
    const parsed = parseCommandInput({ type: 'StartCourse', data: { courseId, ...courseBody() } }, ['StartCourse']);
    if (!parsed.ok) throw new Error(`StartCourse did not parse: ${JSON.stringify(parsed.errors)}`);
    const command = { ...parsed.command, metadata: { actor, now: new Date().toISOString(), correlationId: randomUUID(), commandId: 'start-course' } };
    const operation = new WithStartWorkflowOperation(COURSE_WORKFLOW_TYPE, {
      workflowId: courseWorkflowId(courseId),
      taskQueue: env.TEMPORAL_TASK_QUEUE || 'course-of-care',
      args: [{ courseId }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
    await client.workflow.executeUpdateWithStart(submitCommandUpdate, { args: [command], updateId: 'start-course', startWorkflowOperation: operation });
    return courseId;
  };
  const alert = { type: 'RaiseAlert', data: { reason: 'Benchmark alert' } };
  const command = (courseId) => post(`/courses/${courseId}/commands`, alert);

  /** Every open course, oldest first. */
  const open = [];
  /** Courses a latency measurement touched (never picked as cold again). */
  const used = new Set();

  log('warming up (a few courses and commands on both paths)');
  for (let i = 0; i < 6; i++) {
    const courseId = await (i % 2 ? startDirect() : startViaApi());
    open.push(courseId);
    used.add(courseId);
    for (let k = 0; k < 3; k++) await command(courseId);
  }
  const before = { ...(await settled()), courses: open.length };
  log(`worker RSS before: ${before.mem.rss.toFixed(0)} MB (heap in use: main thread ${before.metrics.heapMb.toFixed(0)} MB), API RSS ${before.apiMem.rss.toFixed(0)} MB`);

  /** Worker RSS as the courses were opened: [open courses, RSS MB]. */
  const curve = [[open.length, before.mem.rss]];
  const marks = [...new Set([limits.maxCachedWorkflows / 2, limits.maxCachedWorkflows, 2 * limits.maxCachedWorkflows, 1000, 2000, 5000, 10_000, 20_000, ...LEVELS])]
    .map(Math.round)
    .filter((n) => n > open.length && n <= LEVELS[LEVELS.length - 1])
    .sort((a, b) => a - b);
  const noteCurve = () => {
    while (marks.length > 0 && open.length >= marks[0]) {
      marks.shift();
      curve.push([open.length, memoryMb(worker.pid).rss]);
    }
  };

  const rows = [];
  const cpuPerStart = { api: null, direct: null, bulk: null };
  const addCpu = (key, c0, n) => {
    const per = cpuSince(c0, 1);
    const acc = cpuPerStart[key] ?? { n: 0, worker: 0, api: 0, temporal: 0, postgres: 0 };
    for (const k of Object.keys(per)) acc[k] += per[k];
    acc.n += n;
    cpuPerStart[key] = acc;
  };
  for (const level of LEVELS) {
    // 1. The start rate, API against bare, in alternating rounds at a fixed concurrency (these courses count as open).
    const starts = { api: { ms: [], wallMs: 0 }, direct: { ms: [], wallMs: 0 } };
    // START_SAMPLES per path (fewer when the level has not that many courses left to open).
    const n = Math.floor(Math.min(2 * START_SAMPLES, Math.max(0, level - open.length)) / START_ROUNDS);
    const rounds = n >= START_CONCURRENCY ? START_ROUNDS : 0;
    for (let r = 0; r < rounds; r++) {
      const which = r % 4 === 0 || r % 4 === 3 ? 'api' : 'direct';
      const c0 = cpu();
      const t0 = process.hrtime.bigint();
      await pool(n, START_CONCURRENCY, async () => {
        const t = process.hrtime.bigint();
        open.push(await (which === 'api' ? startViaApi() : startDirect()));
        starts[which].ms.push(elapsedMs(t));
      });
      starts[which].wallMs += elapsedMs(t0);
      addCpu(which, c0, n);
      noteCurve();
      alive();
      log(`level ${level}: start round ${r + 1}/${rounds} (${which}, ${n} starts) at ${(n / (elapsedMs(t0) / 1000)).toFixed(1)}/s`);
    }

    // 2. Open the rest with the bare start, as fast as the servers take them.
    const remaining = level - open.length;
    if (remaining > 0) {
      log(`level ${level}: opening ${remaining} more courses, ${OPEN_CONCURRENCY} at a time`);
      const c0 = cpu();
      const t0 = process.hrtime.bigint();
      const from = open.length;
      let lastLog = Date.now();
      await pool(remaining, OPEN_CONCURRENCY, async () => {
        open.push(await startDirect());
        noteCurve();
        if (Date.now() - lastLog > 20_000) {
          lastLog = Date.now();
          alive();
          log(`  ${open.length}/${level} open, ${((open.length - from) / (elapsedMs(t0) / 1000)).toFixed(1)}/s, worker RSS ${memoryMb(worker.pid).rss.toFixed(0)} MB, load ${os.loadavg()[0].toFixed(1)}`);
        }
      });
      addCpu('bulk', c0, remaining);
      log(`level ${level}: ${open.length} open after ${(elapsedMs(t0) / 1000).toFixed(0)} s (${(remaining / (elapsedMs(t0) / 1000)).toFixed(1)}/s)`);
    }
    const after = await settled();
    curve.push([open.length, after.mem.rss]);

    // 3. Warm against cold, interleaved, one command at a time, through the API.
    const warmCourses = open.slice(-WARM_COURSES);
    for (const c of warmCourses) {
      used.add(c);
      await command(c); // now surely in the cache
    }
    // The oldest courses nobody touched since they were opened: more than a cache of courses ago.
    const cold = open
      .slice(0, open.length - limits.maxCachedWorkflows - WARM_COURSES)
      .filter((c) => !used.has(c))
      .slice(0, LATENCY_SAMPLES);
    const latency = { warm: [], cold: [] };
    const missesBefore = (await workerMetrics()).misses;
    for (let i = 0; i < cold.length; i++) {
      used.add(cold[i]);
      let t = process.hrtime.bigint();
      await command(cold[i]);
      latency.cold.push(elapsedMs(t));
      t = process.hrtime.bigint();
      await command(warmCourses[i % WARM_COURSES]);
      latency.warm.push(elapsedMs(t));
    }
    const missesAfter = (await workerMetrics()).misses;
    alive();
    const rate = (s) => (s.ms.length ? { ...stats(s.ms), rate: s.ms.length / (s.wallMs / 1000) } : null);
    const row = { level: open.length, ...after, coldMisses: missesAfter - missesBefore, warm: stats(latency.warm), cold: stats(latency.cold), api: rate(starts.api), direct: rate(starts.direct), load: os.loadavg()[0] };
    rows.push(row);
    log(
      `level ${level}: worker RSS ${after.mem.rss.toFixed(0)} MB, warm p50 ${row.warm.p50.toFixed(0)} ms, cold p50 ${row.cold.p50.toFixed(0)} ms (${row.coldMisses} cache misses)` +
        (row.api && row.direct ? `, starts ${row.api.rate.toFixed(1)}/s API vs ${row.direct.rate.toFixed(1)}/s bare` : ''),
    );
  }

  // 4. Per cached course: a fresh worker with a cache of PROBE_CACHE runs, filled by one command on
  //    each of that many courses (each replayed from its history), RSS read as it fills.
  const probe = [];
  const untouched = open.filter((c) => !used.has(c));
  const probeSize = Math.min(PROBE_CACHE ?? limits.maxCachedWorkflows, untouched.length);
  if (probeSize >= 20) {
    log(`restarting the worker with a cache of ${probeSize} runs, then one command on each of ${probeSize} courses`);
    const old = worker;
    await stopChild(old.child);
    worker = await startWorker({ WORKER_MAX_CACHED_WORKFLOWS: String(probeSize) });
    let filled = 0;
    probe.push({ touched: 0, ...(await settled()) });
    for (const upTo of [...new Set([probeSize / 8, probeSize / 4, probeSize / 2, probeSize].map(Math.round))]) {
      const batch = untouched.slice(filled, upTo);
      await pool(batch.length, START_CONCURRENCY, async (i) => {
        await command(batch[i]);
      });
      filled = upTo;
      probe.push({ touched: filled, ...(await settled()) });
      const last = probe[probe.length - 1];
      log(`  ${filled} courses touched: cache ${last.metrics.cacheSize}, worker RSS ${last.mem.rss.toFixed(0)} MB`);
    }
  }
  const [{ count }] = await db.query(`SELECT count(*)::int AS count FROM es.events WHERE event_type = 'CourseStarted'`);

  // The report.
  const f0 = (v) => (v === null || v === undefined || Number.isNaN(v) ? 'n/a' : v.toFixed(0));
  const f1 = (v) => (v === null || v === undefined || Number.isNaN(v) ? 'n/a' : v.toFixed(1));
  const out = (line) => process.stdout.write(`${line}\n`);
  out('');
  out(`Open courses and the worker's memory: cache ${limits.maxCachedWorkflows} runs, ${nodeArgs.join(' ')}, ${limits.maxConcurrentWorkflowTasks} workflow tasks; ${os.cpus().length} cores`);
  const heaps = (x) => `${f0(x.live.main)} / ${f0(x.live.workflow)} MB`;
  out(`worker before the courses (${before.courses} warm-up courses): RSS ${f0(before.mem.rss)} MB, heap after full GC (main / workflow thread) ${heaps(before)}; API RSS ${f0(before.apiMem.rss)} MB`);
  out('');
  out('| open courses | worker RSS (peak) | heap after full GC: main / workflow thread | cached runs | API RSS | warm command p50 / p99 | cold command p50 / p99 | cold: cache misses / commands | load (1 min) |');
  out('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    out(
      `| ${r.level} | ${f0(r.mem.rss)} (${f0(r.mem.peak)}) MB | ${heaps(r)} | ${f0(r.metrics.cacheSize)} | ${f0(r.apiMem.rss)} MB | ${f1(r.warm.p50)} / ${f1(r.warm.p99)} ms | ${f1(r.cold.p50)} / ${f1(r.cold.p99)} ms | ${r.coldMisses} / ${r.cold.n} | ${r.load.toFixed(1)} |`,
    );
  }
  out('');
  out(`Course starts at ${START_CONCURRENCY} concurrent (${START_ROUNDS} alternating rounds per level)`);
  out('| open courses at the end | API starts/s | API p50 / p99 | bare executeUpdateWithStart starts/s | bare p50 / p99 | ratio rate (API / bare) | ratio p50 |');
  out('| --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    if (!r.api || !r.direct) continue;
    out(
      `| ${r.level} | ${f1(r.api.rate)} | ${f0(r.api.p50)} / ${f0(r.api.p99)} ms | ${f1(r.direct.rate)} | ${f0(r.direct.p50)} / ${f0(r.direct.p99)} ms | ${(r.api.rate / r.direct.rate).toFixed(2)}x | ${(r.api.p50 / r.direct.p50).toFixed(2)}x |`,
    );
  }
  out('');
  out('CPU per course start (ms): worker / API / Temporal dev server / PostgreSQL');
  for (const [key, label] of [['api', `API, ${START_CONCURRENCY} concurrent`], ['direct', `bare, ${START_CONCURRENCY} concurrent`], ['bulk', `bare, ${OPEN_CONCURRENCY} concurrent (opening the rest)`]]) {
    const c = cpuPerStart[key];
    if (c) out(`  ${label}: ${f1(c.worker / c.n)} / ${f1(c.api / c.n)} / ${f1(c.temporal / c.n)} / ${f1(c.postgres / c.n)} (${c.n} starts)`);
  }
  out('');
  out(`Worker RSS while opening (open courses: MB): ${curve.map(([k, mb]) => `${k}: ${mb.toFixed(0)}`).join(', ')}`);
  if (probe.length > 1) {
    out('');
    out(`A fresh worker with a cache of ${probeSize} runs, filled by one command per course (${START_CONCURRENCY} concurrent):`);
    out('| courses touched | cached runs | worker RSS | heap after full GC: main / workflow thread |');
    out('| --- | --- | --- | --- |');
    for (const p of probe) out(`| ${p.touched} | ${f0(p.metrics.cacheSize)} | ${f0(p.mem.rss)} MB | ${heaps(p)} |`);
    // Least squares over the points: y = base + cached runs x cost.
    const fit = (pts) => {
      const ok = pts.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
      if (ok.length < 2) return null;
      const mx = ok.reduce((a, [x]) => a + x, 0) / ok.length;
      const my = ok.reduce((a, [, y]) => a + y, 0) / ok.length;
      const slope = ok.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0) / ok.reduce((a, [x]) => a + (x - mx) ** 2, 0);
      return { base: my - slope * mx, perRunKb: slope * 1024 };
    };
    const cached = (p) => p.metrics.cacheSize ?? p.touched;
    const rssFit = fit(probe.map((p) => [cached(p), p.mem.rss]));
    const heapFit = fit(probe.map((p) => [cached(p), p.live.workflow]));
    if (rssFit) out(`Fit: worker RSS = ${f0(rssFit.base)} MB + ${f0(rssFit.perRunKb)} KB x cached runs`);
    if (heapFit) out(`Fit: workflow-thread heap after full GC = ${f0(heapFit.base)} MB + ${f0(heapFit.perRunKb)} KB x cached runs`);
  }
  out(`(${count} CourseStarted events stored in PostgreSQL; load average at the end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')})`);
};

const stops = [];
let stopping = null;
const stopAll = () =>
  (stopping ??= (async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await sleep(300);
  })());
// Calls still in flight when the servers stop fail on their own; once stopping, that is expected.
process.on('uncaughtException', (error) => {
  if (stopping) return;
  process.stderr.write(`bench failed: ${error.stack || error.message}\n`);
  void stopAll().then(() => process.exit(1));
});
process.on('unhandledRejection', (error) => {
  if (stopping) return;
  process.stderr.write(`bench failed: ${error?.stack || error}\n`);
  void stopAll().then(() => process.exit(1));
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    log(`${signal}: stopping everything this benchmark started`);
    void stopAll().then(() => process.exit(130));
  });
}
let watchdog;
Promise.race([
  run(stops),
  new Promise((_, reject) => {
    watchdog = setTimeout(() => reject(new Error(`the benchmark took longer than ${RUN_TIMEOUT_MS / 1000} s`)), RUN_TIMEOUT_MS);
    watchdog.unref();
  }),
])
  .then(
    () => 0,
    (error) => {
      process.stderr.write(`bench failed: ${error.stack || error.message}\n`);
      return 1;
    },
  )
  .then(async (code) => {
    clearTimeout(watchdog);
    await stopAll();
    process.exit(code);
  });
