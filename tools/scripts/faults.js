#!/usr/bin/env node
'use strict';
/**
 * `npm run test:faults`: reliability as a tested property. Starts a stack of separate processes on free
 * loopback ports in a temporary folder (PostgreSQL, the Temporal dev server on a SQLite file, the worker,
 * the API, and a webhook receiver with an admin-made subscription), then, under a bounded load of 4
 * clients following the README's retry rule, injects one fault after another:
 *
 *   worker-kill     the worker SIGKILLed mid-load and a new one started
 *   postgres        PostgreSQL restarted (immediate stop: crash recovery), later stopped for 10 s
 *   temporal        the Temporal dev server stopped and restarted on the same SQLite file while webhook
 *                   delivery retries (server-side timers) are pending
 *   api-kill        the API SIGKILLed mid-request and restarted
 *   worker+hooks    the worker SIGKILLed with deliveries in flight, the receiver down for 8 s
 *
 * After each fault it checks, from PostgreSQL and the API: every command answered 2xx has exactly one set
 * of events (by metadata.commandId), no duplicate event id, no duplicated logical command, stream versions
 * 1..n in every course stream, every course accepts its next command, GET /audit/verify is clean,
 * /health/ready (polled every 250 ms) was 503 during the outage and 200 within 10 s after recovery,
 * pending timers fired, and every course.started event was acknowledged by the receiver at least once.
 * Prints a table and exits non-zero on any failure. Every process it starts is killed on exit.
 *
 *   FAULTS=worker-kill,api-kill   run only these faults      FAULTS_KEEP=1   keep the temporary folder
 *   FAULTS_LOAD_SECONDS=24        load per fault             FAULTS_CLIENTS=4
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { setInterval } = require('node:timers');
const { log: makeLog } = require('./lib/log');
const { ROOT, ensureDependencies, build } = require('./lib/setup');
const { freePort, sleep } = require('./lib/ports');
const { ensureDevKeys } = require('./lib/dev-keys');
const { Stack, waitUntil } = require('./lib/faults/stack');
const { Receiver } = require('./lib/faults/receiver');
const { LoadClient, request, NEXT_STEP } = require('./lib/faults/client');

const log = makeLog('faults');
const LOAD_MS = Number(process.env.FAULTS_LOAD_SECONDS || 24) * 1000;
const CLIENTS = Number(process.env.FAULTS_CLIENTS || 4);
const RUN_DEADLINE_MS = 12 * 60 * 1000; // a hard bound on the whole run, whatever hangs
const RECOVERY_LIMIT_S = 10;
// Attempts at 0, 1, 2, 3, 5, 8, 13, 20 s (about 52 s in all): long enough to outlast each outage here.
const RETRY_SCHEDULE = '0,1,2,3,5,8,13,20';

// ------------------------------------------------------------------ build

const newestMtime = (dir) => {
  let newest = 0;
  const walk = (d) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (/\.(ts|tsx|json)$/.test(entry.name) && !/\.spec\.ts$/.test(entry.name)) newest = Math.max(newest, fs.statSync(p).mtimeMs);
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return newest;
};

const buildIfNeeded = () => {
  const marker = path.join(ROOT, 'dist/apps/api/src/main.js');
  const worker = path.join(ROOT, 'dist/apps/worker/src/main.js');
  const built = fs.existsSync(marker) && fs.existsSync(worker) ? Math.min(fs.statSync(marker).mtimeMs, fs.statSync(worker).mtimeMs) : 0;
  const sources = Math.max(...['apps', 'libs', 'workflows'].map((d) => newestMtime(path.join(ROOT, d))), fs.statSync(path.join(ROOT, 'tsconfig.build.json')).mtimeMs);
  if (built && built >= sources && fs.existsSync(path.join(ROOT, 'dist/apps/console/index.html'))) return;
  log('building (sources are newer than dist/)');
  build(log);
};

// ------------------------------------------------------------------ tokens

const makeTokens = async (dataDir) => {
  const { SignJWT, importPKCS8 } = require('jose');
  const { privateKeyFile } = ensureDevKeys(dataDir, log);
  const key = await importPKCS8(fs.readFileSync(privateKeyFile, 'utf8'), 'EdDSA');
  const mint = (sub, name, role) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ name, role, site: 'site-a', auth_time: now })
      .setProtectedHeader({ alg: 'EdDSA' })
      .setSubject(sub)
      .setIssuer('mdma-care-backbone-dev')
      .setAudience('mdma-care-backbone')
      .setIssuedAt(now)
      .setExpirationTime('1h')
      .sign(key);
  };
  const tokens = {};
  // Synthetic users; no personal data.
  const users = { admin: ['fault-admin', 'Fault Admin', 'admin'], auditor: ['fault-auditor', 'Fault Auditor', 'auditor'] };
  for (let i = 1; i <= CLIENTS; i++) users[`c${i}`] = [`fault-client-${i}`, `Fault Client ${i}`, 'coordinator'];
  const refresh = async () => {
    for (const [k, [sub, name, role]] of Object.entries(users)) tokens[k] = await mint(sub, name, role);
  };
  await refresh();
  // E-signatures need a sign-in within 5 minutes: keep auth_time fresh.
  const timer = setInterval(() => void refresh().catch(() => undefined), 60000);
  timer.unref();
  return tokens;
};

// ------------------------------------------------------------------ readiness

/** Polls GET /health/ready every 250 ms; keeps (time, status) with 0 for "no answer". */
const readinessPoller = (apiUrl) => {
  const samples = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const t = Date.now();
      const res = await request(apiUrl, 'GET', '/health/ready', { timeoutMs: 2000 });
      samples.push({ t, status: res.status });
      await sleep(Math.max(0, 250 - (Date.now() - t)));
    }
  })();
  return {
    samples,
    stop: async () => {
      running = false;
      await loop;
    },
  };
};

const isReadyNow = async (apiUrl) => (await request(apiUrl, 'GET', '/health/ready', { timeoutMs: 2000 })).status === 200;

// ------------------------------------------------------------------ main

const main = async () => {
  const runStarted = Date.now();
  ensureDependencies(log);
  buildIfNeeded();

  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'care-faults-'));
  fs.chmodSync(work, 0o755); // initdb runs as the postgres user, who must reach the folder
  const ports = { pg: await freePort(), temporal: await freePort(), api: await freePort(), receiver: await freePort() };
  const stack = new Stack({ work, ports, log });
  const receiver = new Receiver(ports.receiver);

  // Everything this script started dies with it: on success, failure, Ctrl-C or an overrun.
  let cleaned = false;
  let shuttingDown = false;
  const cleanup = () => {
    if (cleaned) return;
    cleaned = true;
    shuttingDown = true;
    stack.killAllSync();
  };
  process.on('exit', cleanup);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      log(`${sig}: stopping everything`);
      cleanup();
      process.exit(130);
    });
  }
  const overrun = setTimeout(() => {
    log(`the run exceeded ${RUN_DEADLINE_MS / 60000} minutes: stopping everything`);
    cleanup();
    process.exit(3);
  }, RUN_DEADLINE_MS);
  overrun.unref();

  log(`work folder ${work}`);
  const keys = ensureDevKeys(stack.dataDir, log);
  log(`starting PostgreSQL on 127.0.0.1:${ports.pg}`);
  await stack.startPostgres();
  log('migrating the database');
  require('./lib/register-aliases');
  const { createDataSource, runMigrations } = require(path.join(ROOT, 'dist/libs/event-store/src'));
  const dataSource = await createDataSource(stack.databaseUrl, 2).initialize();
  await runMigrations(dataSource);
  await dataSource.destroy();
  log(`starting the Temporal dev server on ${stack.temporalAddress} (SQLite ${path.relative(work, stack.dbFile)})`);
  await stack.startTemporal();

  const env = stack.env({
    AUTH_PUBLIC_KEY_FILE: keys.publicKeyFile,
    WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32',
    RATE_LIMIT_PER_MINUTE: '1000000',
    WEBHOOK_RETRY_SCHEDULE_SECONDS: RETRY_SCHEDULE,
    WEBHOOK_TIMEOUT_MS: '2000',
    COMMAND_ANSWER_TIMEOUT_MS: '5000',
    PROJECTIONS_POLL_INTERVAL_MS: '200',
    LOG_LEVEL: 'warn',
  });

  // Like `npm start`, a worker that dies on its own is restarted (after 1 s); the faults kill it on purpose.
  const supervision = { workerRestarts: 0, apiExits: 0, killing: new Set() };
  const launch = (name) => {
    const child = name === 'worker' ? stack.startWorker(env) : stack.startApi(env);
    child.once('exit', (code, signal) => {
      if (shuttingDown || supervision.killing.has(child.pid)) return;
      log(`${name} exited on its own (${signal ?? code}); restarting it in 1 s`);
      if (name === 'worker') supervision.workerRestarts += 1;
      else supervision.apiExits += 1;
      setTimeout(() => {
        if (!shuttingDown && !stack.children[name]) launch(name);
      }, 1000).unref();
    });
    return child;
  };
  const killOnPurpose = async (name) => {
    const child = stack.children[name];
    if (child) supervision.killing.add(child.pid);
    await stack.kill(name);
  };

  log('starting the worker and the API');
  launch('worker');
  launch('api');
  await waitUntil('the API to be ready', () => isReadyNow(stack.apiUrl), 120000, 500).catch((e) => {
    throw new Error(`${e.message}\n--- api log ---\n${stack.tail('api')}\n--- worker log ---\n${stack.tail('worker')}`);
  });
  log(`stack ready after ${((Date.now() - runStarted) / 1000).toFixed(0)} s; API on ${stack.apiUrl}`);

  await receiver.listen();
  const tokens = await makeTokens(stack.dataDir);
  const sub = await request(stack.apiUrl, 'POST', '/integrations/subscriptions', {
    token: tokens.admin,
    body: { url: receiver.url, siteId: 'site-a', eventTypes: ['course.started'], description: 'fault injection receiver' },
  });
  if (sub.status !== 201) throw new Error(`creating the subscription answered ${sub.status} ${JSON.stringify(sub.body)}`);
  const subscriptionId = sub.body.subscriptionId;

  const { Client } = require('pg');
  /** A short-lived connection per query: PostgreSQL itself is one of the things we restart. */
  const query = async (sql, params = []) => {
    const c = new Client({ connectionString: stack.databaseUrl, connectionTimeoutMillis: 5000 });
    await c.connect();
    try {
      return (await c.query(sql, params)).rows;
    } finally {
      await c.end().catch(() => undefined);
    }
  };

  const ctx = { stack, receiver, query, subscriptionId, launch, killOnPurpose, log };
  const selected = (process.env.FAULTS || '').split(',').map((s) => s.trim()).filter(Boolean);
  const faults = FAULTS.filter((f) => selected.length === 0 || selected.includes(f.name));
  const results = [];
  for (const fault of faults) {
    results.push(await runFault(fault, ctx, tokens));
  }

  printTable(results);
  const failed = results.filter((r) => r.failures.length > 0);
  for (const r of failed) for (const f of r.failures) process.stdout.write(`FAIL ${r.name}: ${f}\n`);
  if (supervision.workerRestarts || supervision.apiExits) {
    process.stdout.write(`note: the worker exited on its own ${supervision.workerRestarts} time(s), the API ${supervision.apiExits} time(s) (restarted)\n`);
  }
  process.stdout.write(`total ${((Date.now() - runStarted) / 1000).toFixed(0)} s\n`);

  shuttingDown = true;
  await receiver.close();
  await stack.kill('api');
  await stack.kill('worker');
  await stack.stopTemporal();
  try {
    stack.stopPostgres('fast');
  } catch (e) {
    log(`stopping PostgreSQL: ${e.message}`);
  }
  cleanup();
  if (failed.length === 0 && !process.env.FAULTS_KEEP) fs.rmSync(work, { recursive: true, force: true });
  else log(`logs and data kept in ${work}`);
  return failed.length === 0 ? 0 : 1;
};

// ------------------------------------------------------------------ faults

/** `await at(t0, ms)`: the fault's schedule (deliberate: the load runs meanwhile). */
const at = (t0, ms) => sleep(Math.max(0, t0 + ms - Date.now()));

const FAULTS = [
  {
    name: 'worker-kill',
    readinessExpected: false, // readiness counts a worker that polled in the last 75 s; a restart within that stays 200
    async inject(ctx, t0) {
      await at(t0, 8000);
      const outageStart = Date.now();
      await ctx.killOnPurpose('worker');
      ctx.launch('worker');
      return { outages: [[outageStart, Date.now()]], restoredAt: Date.now() };
    },
  },
  {
    name: 'postgres',
    readinessExpected: true,
    async inject(ctx, t0) {
      await at(t0, 5000);
      const a = Date.now();
      ctx.stack.stopPostgres('immediate'); // like a crash: the next start runs recovery
      await ctx.stack.startPostgres();
      const b = Date.now();
      await at(t0, 10000);
      const c = Date.now();
      ctx.stack.stopPostgres('fast');
      await sleep(10000); // the fault: PostgreSQL stopped for 10 s
      await ctx.stack.startPostgres();
      const restoredAt = Date.now();
      return { outages: [[a, b], [c, restoredAt]], readinessWindow: [c, restoredAt], restoredAt, note: `restart ${((b - a) / 1000).toFixed(1)} s, stop 10 s` };
    },
  },
  {
    name: 'temporal',
    readinessExpected: true,
    async inject(ctx, t0) {
      await at(t0, 5000);
      // Deliveries start failing (503): each failed attempt leaves a retry timer in the Temporal server.
      ctx.receiver.setMode('failing');
      const failingFrom = Date.now();
      const pendingRetries = await waitUntil(
        'a delivery retry to be pending',
        async () => {
          const rows = await ctx.query(
            `SELECT DISTINCT d.delivery_id FROM integrations.deliveries d JOIN integrations.delivery_attempts a USING (delivery_id)
              WHERE d.subscription_id = $1 AND d.status = 'pending' AND a.status_code = 503 AND a.attempted_at >= to_timestamp($2 / 1000.0)`,
            [ctx.subscriptionId, failingFrom],
          );
          return rows.length >= 2 ? rows.map((r) => r.delivery_id) : null;
        },
        20000,
        250,
      );
      const outageStart = Date.now();
      await ctx.stack.stopTemporal();
      await sleep(8000); // the fault: Temporal down for 8 s with those timers pending
      await ctx.stack.startTemporal();
      const restoredAt = Date.now();
      ctx.receiver.setMode('up');
      return { outages: [[outageStart, restoredAt]], restoredAt, timers: { deliveryIds: pendingRetries, firedAfter: restoredAt } };
    },
  },
  {
    name: 'api-kill',
    readinessExpected: true, // no answer at all counts: the API itself is the outage
    async inject(ctx, t0) {
      await at(t0, 8000);
      // Mid-request: kill it while an unkeyed command (the hard case: no key to retry with) is in flight.
      await waitUntil('an unkeyed command in flight', () => ctx.probe.unkeyedInFlight > 0, 10000, 5).catch(() => undefined);
      const midRequest = ctx.probe.unkeyedInFlight;
      const outageStart = Date.now();
      await ctx.killOnPurpose('api');
      ctx.launch('api');
      const restoredAt = Date.now();
      if (!midRequest) throw new Error('no unkeyed command was in flight to kill the API under');
      return { outages: [[outageStart, restoredAt]], restoredAt, acceptUnreachable: true, note: `killed with ${midRequest} unkeyed command(s) in flight; recovery includes the API boot` };
    },
  },
  {
    name: 'worker+hooks',
    readinessExpected: false,
    async inject(ctx, t0) {
      await at(t0, 5000);
      ctx.receiver.setMode('slow'); // answers after 1.5 s: deliveries are in flight
      const inFlight = await waitUntil('a delivery to be in flight', async () => (ctx.receiver.inFlight().length > 0 ? ctx.receiver.inFlight() : null), 15000, 100);
      const outageStart = Date.now();
      await ctx.killOnPurpose('worker');
      await ctx.receiver.close(); // the receiver goes down too: the in-flight requests get no answer
      ctx.receiver.setMode('up');
      ctx.launch('worker');
      await sleep(8000); // the fault: the receiver down for 8 s
      await ctx.receiver.listen();
      const restoredAt = Date.now();
      return { outages: [[outageStart, restoredAt]], restoredAt, inFlight, note: `${inFlight.length} in flight at the kill` };
    },
  },
];

const runFault = async (fault, ctx, tokens) => {
  const { stack, query, receiver, log: say } = ctx;
  const failures = [];
  say(`--- ${fault.name}: ${CLIENTS} clients for ${LOAD_MS / 1000} s`);
  const t0 = Date.now();
  const poller = readinessPoller(stack.apiUrl);
  const ops = [];
  const courses = [];
  ctx.probe = { unkeyedInFlight: 0 };
  const clients = Array.from(
    { length: CLIENTS },
    (_, i) =>
      new LoadClient({ id: `c${i + 1}`, baseUrl: stack.apiUrl, token: () => tokens[`c${i + 1}`], phase: fault.name.replace(/[^a-z0-9]/g, '-'), ops, courses, probe: ctx.probe, isReady: () => isReadyNow(stack.apiUrl) }),
  );
  const load = Promise.all(clients.map((c) => c.run(t0 + LOAD_MS)));
  let injected;
  try {
    injected = await fault.inject(ctx, t0);
  } catch (error) {
    failures.push(`injecting the fault failed: ${error.message}`);
    injected = { outages: [], restoredAt: Date.now() };
  }
  await load;
  say(`load done after ${((Date.now() - t0) / 1000).toFixed(0)} s; ${ops.length} commands`);

  // Readiness: 200 again within 10 s of the component's return (the poller keeps going up to 30 s).
  const { restoredAt } = injected;
  await waitUntil('readiness after recovery', async () => poller.samples.some((s) => s.t >= restoredAt && s.status === 200), 30000, 250).catch(() => undefined);
  await poller.stop();
  const firstOk = poller.samples.find((s) => s.t >= restoredAt && s.status === 200);
  const recoverySeconds = firstOk ? (firstOk.t - restoredAt) / 1000 : null;
  if (recoverySeconds === null || recoverySeconds > RECOVERY_LIMIT_S) failures.push(`readiness not 200 within ${RECOVERY_LIMIT_S} s of recovery (${recoverySeconds ?? 'never'})`);
  const [wFrom, wTo] = injected.readinessWindow ?? [Math.min(...injected.outages.map((o) => o[0])), restoredAt];
  const during = poller.samples.filter((s) => s.t >= wFrom && s.t <= wTo + 1000);
  const saw503 = during.some((s) => s.status === 503);
  const sawNone = during.some((s) => s.status === 0);
  const readiness = saw503 ? 'yes' : injected.acceptUnreachable && sawNone ? 'no answer' : 'no';
  if (fault.readinessExpected && readiness === 'no') failures.push(`/health/ready was never 503 during the outage (${during.length} polls)`);

  // Every course accepts its next command.
  let nextOk = 0;
  const queue = [...courses];
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, i) => {
      const client = new LoadClient({ id: `next${i}`, baseUrl: stack.apiUrl, token: () => tokens.c1, phase: fault.name.replace(/[^a-z0-9]/g, '-'), ops: [], courses: [], isReady: () => isReadyNow(stack.apiUrl) });
      for (let course; (course = queue.shift()); ) {
        // Each course is continued by the client that walked it (keys are per user, the step per course).
        client.token = () => tokens[course.client];
        const op = await client.command(course, Math.min(course.done, NEXT_STEP), true, 'next');
        ops.push(op);
        if (op.outcome === 'recorded') nextOk += 1;
        else failures.push(`course ${course.courseId.slice(0, 8)} refused its next command ${op.kind}: ${op.code ?? op.finalStatus}`);
      }
    }),
  );

  // Deliveries: every course.started event gets a delivery row, and every row settles.
  const deliveryRows = async () =>
    query(
      `SELECT e.event_id::text, e.stream_id, d.delivery_id, d.status FROM es.events e
         LEFT JOIN integrations.deliveries d ON d.event_id = e.event_id AND d.subscription_id = $1
        WHERE e.event_type = 'CourseStarted' AND e.stream_id = ANY($2)`,
      [ctx.subscriptionId, courses.map((c) => `course-${c.courseId}`)],
    );
  let rows = [];
  await waitUntil(
    'deliveries to settle',
    async () => {
      try {
        rows = await deliveryRows();
      } catch {
        return false;
      }
      const acked = receiver.acknowledged();
      return rows.every((r) => r.delivery_id && (r.status === 'failed' || (r.status === 'delivered' && acked.has(r.delivery_id))));
    },
    90000,
    500,
  ).catch(() => failures.push('deliveries did not settle within 90 s'));
  const acked = receiver.acknowledged();
  const deliveredRows = rows.filter((r) => r.status === 'delivered' && acked.has(r.delivery_id));
  const lostDeliveries = rows.length - deliveredRows.length;
  const receiverDuplicates = deliveredRows.reduce((n, r) => n + (acked.get(r.delivery_id) - 1), 0);
  if (lostDeliveries > 0) failures.push(`${lostDeliveries} of ${rows.length} course.started events never acknowledged by the receiver`);

  // Timers pending at the fault fired afterwards.
  let timers = '-';
  if (injected.timers) {
    const { deliveryIds, firedAfter } = injected.timers;
    const fired = await query(
      `SELECT d.delivery_id FROM integrations.deliveries d WHERE d.delivery_id = ANY($1) AND d.status = 'delivered'
          AND EXISTS (SELECT 1 FROM integrations.delivery_attempts a WHERE a.delivery_id = d.delivery_id AND a.attempted_at >= to_timestamp($2 / 1000.0))`,
      [deliveryIds, firedAfter],
    );
    timers = `${fired.length}/${deliveryIds.length}`;
    if (fired.length !== deliveryIds.length) failures.push(`pending delivery retries: only ${timers} fired after the restart`);
  }
  if (injected.inFlight) {
    const missing = injected.inFlight.filter((id) => !acked.has(id));
    timers = `${injected.inFlight.length - missing.length}/${injected.inFlight.length} in-flight`;
    if (missing.length) failures.push(`${missing.length} deliveries in flight at the kill were never acknowledged`);
  }

  // The record.
  const record = await checkRecord(query, ops, courses);
  failures.push(...record.failures);
  const statusNotFound = ops.filter((o) => o.statusNotFound).length;
  if (statusNotFound > 0) failures.push(`${statusNotFound} Command-Id(s) the API gave had no outcome at their status URL (404 instead of not_recorded)`);

  // The ledger.
  const verify = await request(stack.apiUrl, 'GET', '/audit/verify', { token: tokens.auditor, timeoutMs: 60000 });
  const verifyOk = verify.status === 200 && verify.body?.ok === true;
  if (!verifyOk) failures.push(`GET /audit/verify: ${verify.status} ${JSON.stringify(verify.body?.firstMismatch ?? verify.body)}`);

  const stats = clients.reduce((s, c) => {
    for (const [k, v] of Object.entries(c.stats)) s[k] = (s[k] ?? 0) + v;
    return s;
  }, {});
  const loadOps = ops.filter((o) => o.label !== 'next');
  const unresolved = ops.filter((o) => o.outcome === 'unresolved');
  if (unresolved.length) failures.push(`${unresolved.length} commands never resolved: ${unresolved.slice(0, 3).map((o) => `${o.kind} ${o.attempts.join(',')}`).join('; ')}`);
  const refused = loadOps.filter((o) => o.outcome === 'refused');
  if (refused.length) failures.push(`${refused.length} load commands refused: ${[...new Set(refused.map((o) => `${o.kind}:${o.code}`))].join(', ')}`);

  const result = {
    name: fault.name,
    ops: loadOps.length,
    requests: stats.requests,
    ok: loadOps.filter((o) => o.outcome === 'recorded').length,
    s202: stats.s202,
    s5xx: stats.s5xx,
    network: stats.network,
    viaStatus: loadOps.filter((o) => o.resolvedBy).length,
    lost: record.lost,
    duplicated: record.duplicated,
    gaps: record.gaps,
    readiness: fault.readinessExpected ? readiness : `n/a (${readiness})`,
    recovery: recoverySeconds === null ? 'never' : recoverySeconds.toFixed(1),
    deliveries: `${deliveredRows.length}/${rows.length}`,
    receiverDuplicates,
    timers,
    verify: verifyOk ? 'clean' : 'FAIL',
    next: `${nextOk}/${courses.length}`,
    note: [
      injected.note,
      `unkeyed resolved: ${loadOps.filter((o) => o.resolvedBy === 'status').length} by Command-Id, ${loadOps.filter((o) => o.resolvedBy === 'correlation').length} by X-Request-Id; ${ops.filter((o) => o.resent).length} re-sent after not_recorded/not found`,
      ops.some((o) => o.statusNotFound) ? `${ops.filter((o) => o.statusNotFound).length} Command-Id(s) whose status URL said 404` : '']
      .filter(Boolean)
      .join('; '),
    failures,
  };
  say(`${fault.name}: ${failures.length ? `FAILED (${failures.length})` : 'ok'} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  return result;
};

/**
 * From PostgreSQL: no duplicate event id; stream versions 1..n in every course stream; each command
 * answered 2xx has its events, and the events carrying its metadata.commandId are exactly that set;
 * no logical command recorded twice (a criterion, a consent, a contact, a start).
 */
const checkRecord = async (query, ops, courses) => {
  const failures = [];
  const streams = courses.map((c) => `course-${c.courseId}`);
  const events = await query(
    `SELECT event_id::text, stream_id, stream_version::int AS v, event_type, metadata ->> 'commandId' AS command_id,
            metadata -> 'actor' ->> 'role' AS role, data ->> 'criterionId' AS criterion
       FROM es.events WHERE stream_id = ANY($1) ORDER BY stream_id, stream_version`,
    [streams],
  );
  const [{ dup_ids: dupIds }] = await query(`SELECT count(*)::int AS dup_ids FROM (SELECT event_id FROM es.events GROUP BY event_id HAVING count(*) > 1) x`);
  if (dupIds) failures.push(`${dupIds} duplicate event ids`);
  // Gaps and duplicated versions, over every course stream in the database (not only this phase's).
  const [{ bad }] = await query(
    `SELECT count(*)::int AS bad FROM (SELECT stream_id, count(*) AS n, count(DISTINCT stream_version) AS d, min(stream_version) AS lo, max(stream_version) AS hi
       FROM es.events WHERE stream_id LIKE 'course-%' GROUP BY stream_id) s WHERE n <> d OR lo <> 1 OR hi <> n`,
  );
  const gaps = bad;
  if (gaps) failures.push(`${gaps} course streams with a gap or a repeated stream version`);

  const byId = new Map(events.map((e) => [e.event_id, e]));
  const byCommand = new Map();
  for (const e of events) {
    if (!e.command_id) continue;
    const k = `${e.stream_id}|${e.command_id}`;
    if (!byCommand.has(k)) byCommand.set(k, []);
    byCommand.get(k).push(e.event_id);
  }
  let lost = 0;
  let duplicated = 0;
  for (const op of ops) {
    if (op.outcome !== 'recorded') continue;
    if (!op.events?.length || op.events.some((id) => !byId.has(id))) {
      lost += 1;
      failures.push(`lost: ${op.kind} answered 2xx (${op.attempts.join(',')}) but its events are not in the record`);
      continue;
    }
    const first = byId.get(op.events[0]);
    const same = byCommand.get(`${first.stream_id}|${first.command_id}`) ?? [];
    if (same.length !== op.events.length || same.some((id) => !op.events.includes(id))) {
      duplicated += 1;
      failures.push(`duplicated: ${op.kind} has ${same.length} events under its command id, answered with ${op.events.length}`);
    }
  }
  // Logical duplicates: the same step recorded twice in a course (e.g. a re-send under a new key).
  const seen = new Map();
  for (const e of events) {
    if (e.role === 'system') continue;
    const k = `${e.stream_id}|${e.event_type}|${e.criterion ?? ''}`;
    seen.set(k, (seen.get(k) ?? 0) + 1);
  }
  for (const [k, n] of seen) {
    if (n > 1) {
      duplicated += 1;
      failures.push(`duplicated: ${k.split('|')[1]} recorded ${n} times in one course`);
    }
  }
  return { failures, lost, duplicated, gaps };
};

const printTable = (results) => {
  const cols = [
    ['fault', 'name'],
    ['cmds', 'ops'],
    ['reqs', 'requests'],
    ['2xx', 'ok'],
    ['202', 's202'],
    ['5xx', 's5xx'],
    ['neterr', 'network'],
    ['resolved', 'viaStatus'],
    ['lost', 'lost'],
    ['dup', 'duplicated'],
    ['gaps', 'gaps'],
    ['ready 503', 'readiness'],
    ['recov s', 'recovery'],
    ['deliveries', 'deliveries'],
    ['rcv dup', 'receiverDuplicates'],
    ['timers', 'timers'],
    ['verify', 'verify'],
    ['next', 'next'],
    ['result', (r) => (r.failures.length ? 'FAIL' : 'ok')],
  ];
  const cell = (r, c) => String(typeof c[1] === 'function' ? c[1](r) : r[c[1]]);
  const widths = cols.map((c) => Math.max(c[0].length, ...results.map((r) => cell(r, c).length)));
  const line = (values) => values.map((v, i) => v.padEnd(widths[i])).join('  ');
  process.stdout.write(`\n${line(cols.map((c) => c[0]))}\n${line(widths.map((w) => '-'.repeat(w)))}\n`);
  for (const r of results) process.stdout.write(`${line(cols.map((c) => cell(r, c)))}\n`);
  for (const r of results) if (r.note) process.stdout.write(`  ${r.name}: ${r.note}\n`);
  process.stdout.write('\n');
};

main()
  .then((code) => process.exit(code))
  .catch((error) => {
    log(`failed: ${error.stack || error.message}`);
    process.exit(1);
  });
