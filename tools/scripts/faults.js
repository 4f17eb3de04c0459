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
const { log: makeLog } = require('./lib/log');
const { ensureDependencies } = require('./lib/setup');
const { freePort, sleep } = require('./lib/ports');
const { ensureDevKeys } = require('./lib/dev-keys');
const { Stack, waitUntil } = require('./lib/faults/stack');
const { Receiver } = require('./lib/faults/receiver');
const { buildIfNeeded, makeTokens, isReadyNow, runFault, printTable, guardRun, migrate, queryer, subscribeReceiver } = require('./lib/faults/harness');

const log = makeLog('faults');
const LOAD_MS = Number(process.env.FAULTS_LOAD_SECONDS || 24) * 1000;
const CLIENTS = Number(process.env.FAULTS_CLIENTS || 4);
const RUN_DEADLINE_MS = 12 * 60 * 1000; // a hard bound on the whole run, whatever hangs
// Attempts at 0, 1, 2, 3, 5, 8, 13, 20 s (about 52 s in all): long enough to outlast each outage here.
const RETRY_SCHEDULE = '0,1,2,3,5,8,13,20';
// ------------------------------------------------------------------ main

const main = async () => {
  const runStarted = Date.now();
  ensureDependencies(log);
  buildIfNeeded(log);

  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'care-faults-'));
  fs.chmodSync(work, 0o755); // initdb runs as the postgres user, who must reach the folder
  const ports = { pg: await freePort(), temporal: await freePort(), api: await freePort(), receiver: await freePort() };
  const stack = new Stack({ work, ports, log });
  const receiver = new Receiver(ports.receiver);

  const run = guardRun({ stack, deadlineMs: RUN_DEADLINE_MS, log });

  log(`work folder ${work}`);
  const keys = ensureDevKeys(stack.dataDir, log);
  log(`starting PostgreSQL on 127.0.0.1:${ports.pg}`);
  await stack.startPostgres();
  log('migrating the database');
  await migrate(stack.databaseUrl);
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
      if (run.shuttingDown() || supervision.killing.has(child.pid)) return;
      log(`${name} exited on its own (${signal ?? code}); restarting it in 1 s`);
      if (name === 'worker') supervision.workerRestarts += 1;
      else supervision.apiExits += 1;
      setTimeout(() => {
        if (!run.shuttingDown() && !stack.children[name]) launch(name);
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
  const tokens = await makeTokens(stack.dataDir, CLIENTS, log);
  const subscriptionId = await subscribeReceiver(stack.apiUrl, tokens.admin, receiver, 'fault injection receiver');

  const query = queryer(stack.databaseUrl);

  const ctx = { stack, receiver, query, subscriptionId, launch, killOnPurpose, log, clients: CLIENTS, loadMs: LOAD_MS };
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

  run.ending();
  await receiver.close();
  await stack.kill('api');
  await stack.kill('worker');
  await stack.stopTemporal();
  try {
    stack.stopPostgres('fast');
  } catch (e) {
    log(`stopping PostgreSQL: ${e.message}`);
  }
  run.cleanup();
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

main()
  .then((code) => process.exit(code))
  .catch((error) => {
    log(`failed: ${error.stack || error.message}`);
    process.exit(1);
  });
