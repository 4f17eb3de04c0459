#!/usr/bin/env node
'use strict';
/**
 * `npm run test:cluster`: the production topology proven on this machine. Starts PostgreSQL, the Temporal
 * server on it as four separate processes (history, matching, frontend, internal worker), two course
 * workers and two API instances (tools/scripts/lib/cluster.js), a webhook receiver with an admin-made
 * subscription, then:
 *
 *   courses         a course of each protocol, its commands sent to the two API instances in turn, each
 *                   answer read back at once from the other instance (read-your-writes), up to the steps
 *                   real time allows on a real server (the months between visits pass only on the
 *                   time-skipping server: test/e2e/full-course.e2e.spec.ts), then withdrawn (closed)
 *   worker-kill     under load spread over both APIs, one course worker SIGKILLed (and started again)
 *   api-stop        one API instance stopped with SIGTERM mid-load (drained), later started again
 *   history-restart Temporal's history service SIGKILLed mid-load and started again
 *   temporal-restart every Temporal service stopped and started again while webhook delivery retries
 *                   (server-side timers) are pending: the timers fire afterwards
 *   rate-limit      one client's requests spread over both instances: the limit holds for the sum
 *
 * After each load phase, the fault suite's checks (lib/faults/harness.js): every 2xx command has exactly
 * one set of events, no duplicate event id or stream version, no gap, every course accepts its next
 * command, every course.started event reached the receiver (delivered by one of the two workers' relays,
 * counted for duplicates), GET /audit/verify clean. Prints a table; exits non-zero on any failure. Every
 * process it starts is killed on exit. CLUSTER_TESTS=courses,api-stop runs only those;
 * CLUSTER_LOAD_SECONDS (default 20), CLUSTER_CLIENTS (default 4), CLUSTER_KEEP=1 keeps the folder.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { log: makeLog } = require('./lib/log');
const { ROOT, ensureDependencies } = require('./lib/setup');
const { freePort, sleep } = require('./lib/ports');
const { ensureDevKeys } = require('./lib/dev-keys');
const { waitUntil } = require('./lib/faults/stack');
const { Receiver } = require('./lib/faults/receiver');
const { request } = require('./lib/faults/client');
const { buildIfNeeded, makeTokens, runFault, printTable, guardRun, migrate, queryer, subscribeReceiver } = require('./lib/faults/harness');
const { ClusterStack } = require('./lib/cluster');

const log = makeLog('cluster-test');
const LOAD_MS = Number(process.env.CLUSTER_LOAD_SECONDS || 20) * 1000;
const CLIENTS = Number(process.env.CLUSTER_CLIENTS || 4);
const RUN_DEADLINE_MS = 15 * 60 * 1000; // a hard bound on the whole run, whatever hangs
const RETRY_SCHEDULE = '0,1,2,3,5,8,13,20';
const RATE_LIMIT = 30;

const at = (t0, ms) => sleep(Math.max(0, t0 + ms - Date.now()));

// ------------------------------------------------------------------ faults on the cluster

const FAULTS = [
  {
    name: 'worker-kill',
    readinessExpected: false, // the other worker keeps polling: readiness stays 200, as it should
    async inject(ctx, t0) {
      await at(t0, 7000);
      const outageStart = Date.now();
      await ctx.killOnPurpose('worker-1');
      await sleep(3000); // the other worker alone meanwhile
      await ctx.launch('worker-1');
      return { outages: [[outageStart, Date.now()]], restoredAt: Date.now(), note: 'worker-1 SIGKILLed, worker-2 served alone for 3 s' };
    },
  },
  {
    name: 'api-stop',
    readinessExpected: false, // api-1 (polled) stays ready; api-2 is the one stopped
    async inject(ctx, t0) {
      await at(t0, 6000);
      const outageStart = Date.now();
      await ctx.stopOnPurpose('api-2');
      const stoppedAfter = Date.now() - outageStart;
      await sleep(4000);
      await ctx.launch('api-2');
      await waitUntil('api-2 ready again', () => ctx.apiReady(1), 60000, 300);
      return { outages: [[outageStart, Date.now()]], restoredAt: Date.now(), note: `api-2 stopped (SIGTERM, drained in ${(stoppedAfter / 1000).toFixed(1)} s), 4 s down` };
    },
  },
  {
    name: 'history-restart',
    readinessExpected: false, // readiness asks the frontend, which stays up
    async inject(ctx, t0) {
      await at(t0, 6000);
      const outageStart = Date.now();
      await ctx.stack.cluster.restart('history', { kill: true, downMs: 2000 });
      return { outages: [[outageStart, Date.now()]], restoredAt: Date.now(), note: `history SIGKILLed, 2 s down, serving again after ${((Date.now() - outageStart) / 1000).toFixed(1)} s` };
    },
  },
  {
    name: 'temporal-restart',
    readinessExpected: true,
    async inject(ctx, t0) {
      await at(t0, 4000);
      ctx.receiver.setMode('failing'); // each failed attempt leaves a retry timer in the Temporal server
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
      await ctx.stack.cluster.restartAll({ downMs: 5000 }); // every service down for 5 s with those timers pending
      const restoredAt = Date.now();
      ctx.receiver.setMode('up');
      return { outages: [[outageStart, restoredAt]], restoredAt, timers: { deliveryIds: pendingRetries, firedAfter: restoredAt }, note: `all four services down 5 s, back after ${((restoredAt - outageStart) / 1000).toFixed(1)} s` };
    },
  },
];

// ------------------------------------------------------------------ courses across the two instances

/** The part of each protocol real time allows on a real server (day 0), from the protocol's test fixtures. */
const courseScripts = () => {
  require('./lib/register-aliases');
  const f = require(path.join(ROOT, 'dist/libs/protocol/src/testing/course.fixtures.js'));
  const withdraw = f.cmd('WithdrawCourse', { reason: 'participant_decision', ...f.signed('responsibility') }, 'physician', f.at(0, '16:00'));
  return {
    'mdma-at-ptsd': [...f.mdmaScreening(), f.bdi2('baseline', 30, f.at(0, '11:30')), f.determineEligible(), withdraw],
    'esketamine-monitored': [...f.esketamineEligible(), withdraw],
  };
};

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
/** Data timestamps moved from the script's calendar to now (each relative to its command's own time). */
const shift = (value, ms) => {
  if (typeof value === 'string' && ISO.test(value)) return new Date(Date.parse(value) + ms).toISOString();
  if (Array.isArray(value)) return value.map((v) => shift(v, ms));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shift(v, ms)]));
  return value;
};

const coursesAcrossInstances = async (ctx) => {
  const { stack, roleToken } = ctx;
  const failures = [];
  const urls = stack.apiUrls;
  let commands = 0;
  let reads = 0;
  const latencies = [];
  for (const [protocolId, script] of Object.entries(courseScripts())) {
    let courseId = null;
    for (const [i, command] of script.entries()) {
      const write = urls[i % urls.length];
      const read = urls[(i + 1) % urls.length];
      const token = await roleToken(command.metadata.actor.role);
      const data = shift(command.data, Date.now() - Date.parse(command.metadata.now) - 1000);
      const started = Date.now();
      const res =
        command.type === 'StartCourse'
          ? await request(write, 'POST', '/courses', { token, body: { patientRef: `CL-${protocolId}-${Date.now()}`, siteId: data.siteId, protocolId } })
          : await request(write, 'POST', `/courses/${courseId}/commands`, { token, body: { type: command.type, data } });
      latencies.push(Date.now() - started);
      commands += 1;
      if (res.status !== 200 && res.status !== 201) {
        failures.push(`${protocolId}: ${command.type} on ${write} answered ${res.status} ${JSON.stringify(res.body)}`);
        break;
      }
      if (command.type === 'StartCourse') courseId = res.body.courseId;
      // Read-your-writes: the other instance, asked at once, has every event of the answer.
      const answered = (res.body.events ?? []).map((e) => e.eventId);
      const back = await request(read, 'GET', `/courses/${courseId}/events`, { token: await roleToken('auditor') });
      reads += 1;
      const seen = new Set((back.body?.events ?? []).map((e) => e.eventId));
      const missing = answered.filter((id) => !seen.has(id));
      if (back.status !== 200 || missing.length > 0 || (command.type !== 'StartCourse' && answered.length === 0)) {
        failures.push(`${protocolId}: after ${command.type} on ${write}, ${read} answered ${back.status} without ${missing.length} of its ${answered.length} events`);
      }
    }
    if (courseId) {
      const state = await request(urls[0], 'GET', `/courses/${courseId}`, { token: await roleToken('auditor') });
      if (state.body?.status !== 'withdrawn' && state.body?.closedAt == null) failures.push(`${protocolId}: the course is ${state.body?.status}, not closed, after WithdrawCourse`);
    }
  }
  latencies.sort((a, b) => a - b);
  const p = (q) => latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)];
  return { name: 'courses', failures, note: `${commands} commands alternately on ${urls.length} instances, ${reads} reads from the other one; p50 ${p(0.5)} ms, p99 ${p(0.99)} ms` };
};

// ------------------------------------------------------------------ one rate limit for all instances

const rateLimitAcrossInstances = async (ctx) => {
  const { stack, base, roleToken } = ctx;
  const failures = [];
  // The instances again, with a small limit: one client's budget, whichever instance it reaches.
  for (const name of stack.apiNames) await ctx.stopOnPurpose(name);
  const limited = { ...base, RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT) };
  for (const name of stack.apiNames) await ctx.launch(name, limited);
  for (let i = 0; i < stack.apiNames.length; i++) await stack.waitForApi(i);
  const token = await roleToken('auditor', `rate-limited-${Date.now()}`);
  const answers = [];
  for (let i = 0; i < RATE_LIMIT + 10; i++) {
    const url = stack.apiUrls[i % stack.apiUrls.length];
    const res = await request(url, 'GET', '/audit/access-log?limit=1', { token });
    answers.push({ instance: i % stack.apiUrls.length, status: res.status });
  }
  const allowed = answers.filter((a) => a.status !== 429).length;
  const refusedBy = new Set(answers.filter((a) => a.status === 429).map((a) => a.instance));
  if (allowed !== RATE_LIMIT) failures.push(`${allowed} of ${answers.length} requests allowed, expected exactly ${RATE_LIMIT} (the limit of one client across instances)`);
  if (refusedBy.size !== stack.apiUrls.length) failures.push(`429 came from ${refusedBy.size} of ${stack.apiUrls.length} instances`);
  const other = answers.filter((a) => a.status !== 429 && a.status !== 200);
  if (other.length) failures.push(`unexpected answers: ${[...new Set(other.map((a) => a.status))].join(', ')}`);
  return { name: 'rate-limit', failures, note: `${RATE_LIMIT}/min for one client: ${allowed} allowed of ${answers.length} spread over ${stack.apiUrls.length} instances, 429 from ${refusedBy.size}` };
};

// ------------------------------------------------------------------ main

const main = async () => {
  const runStarted = Date.now();
  ensureDependencies(log);
  buildIfNeeded(log);

  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'care-cluster-'));
  fs.chmodSync(work, 0o755); // initdb runs as the postgres user, who must reach the folder
  const stack = new ClusterStack({ work, ports: { pg: await freePort(), apis: [await freePort(), await freePort()], workers: 2 }, log });
  const receiver = new Receiver(await freePort());

  const run = guardRun({ stack, deadlineMs: RUN_DEADLINE_MS, log });

  log(`work folder ${work}`);
  const keys = ensureDevKeys(stack.dataDir, log);
  await stack.startPostgres();
  await stack.startTemporal();
  log('migrating the database');
  await migrate(stack.databaseUrl);

  const base = stack.env({
    AUTH_PUBLIC_KEY_FILE: keys.publicKeyFile,
    WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32',
    RATE_LIMIT_PER_MINUTE: '1000000',
    WEBHOOK_RETRY_SCHEDULE_SECONDS: RETRY_SCHEDULE,
    WEBHOOK_TIMEOUT_MS: '2000',
    COMMAND_ANSWER_TIMEOUT_MS: '5000',
    PROJECTIONS_POLL_INTERVAL_MS: '200',
    LOG_LEVEL: 'warn',
  });
  // Instances that exit on their own are started again (a supervisor's job); the faults stop them on purpose.
  const supervision = { restarts: 0, stopping: new Set() };
  const launch = async (name, env = base) => {
    const i = Number(name.split('-')[1]) - 1;
    const child = name.startsWith('worker') ? await stack.startWorkerInstance(i, env) : await stack.startApiInstance(i, env);
    child.once('exit', (code, signal) => {
      if (run.shuttingDown() || supervision.stopping.has(child.pid)) return;
      log(`${name} exited on its own (${signal ?? code}); starting it again in 1 s`);
      supervision.restarts += 1;
      setTimeout(() => {
        if (!run.shuttingDown() && !stack.children[name]) void launch(name, env);
      }, 1000).unref();
    });
    return child;
  };
  const killOnPurpose = async (name) => {
    const child = stack.children[name];
    if (child) supervision.stopping.add(child.pid);
    await stack.kill(name);
  };
  const stopOnPurpose = async (name) => {
    const child = stack.children[name];
    if (child) supervision.stopping.add(child.pid);
    await stack.stopGracefully(name);
  };

  log('starting 2 course workers and 2 API instances');
  await launch('worker-1');
  await stack.waitForWorker('worker-1');
  await launch('worker-2');
  await launch('api-1');
  await launch('api-2');
  await stack.waitForWorker('worker-2');
  await stack.waitForApi(0);
  await stack.waitForApi(1);
  log(`cluster ready after ${((Date.now() - runStarted) / 1000).toFixed(0)} s; APIs ${stack.apiUrls.join(', ')}, Temporal ${stack.temporalAddress}`);

  await receiver.listen();
  const tokens = await makeTokens(stack.dataDir, CLIENTS, log);
  const { SignJWT, importPKCS8 } = require('jose');
  const signing = await importPKCS8(fs.readFileSync(keys.privateKeyFile, 'utf8'), 'EdDSA');
  /** A fresh token (auth_time now, for e-signatures) of a synthetic user with that role. */
  const roleToken = async (role, sub = `cluster-${role}`) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ name: `Cluster ${role[0].toUpperCase()}${role.slice(1)}`, role, site: 'site-a', auth_time: now })
      .setProtectedHeader({ alg: 'EdDSA' })
      .setSubject(sub)
      .setIssuer('mdma-care-backbone-dev')
      .setAudience('mdma-care-backbone')
      .setIssuedAt(now)
      .setExpirationTime('10m')
      .sign(signing);
  };
  const subscriptionId = await subscribeReceiver(stack.apiUrls[1], tokens.admin, receiver, 'cluster test receiver');

  const query = queryer(stack.databaseUrl);
  const ctx = {
    stack,
    receiver,
    query,
    subscriptionId,
    launch,
    killOnPurpose,
    stopOnPurpose,
    apiReady: async (i) => (await request(stack.apiUrls[i], 'GET', '/health/ready', { timeoutMs: 2000 })).status === 200,
    log,
    clients: CLIENTS,
    loadMs: LOAD_MS,
    apiUrls: stack.apiUrls,
    readinessUrl: stack.apiUrls[0],
    roleToken,
    base,
  };

  const selected = (process.env.CLUSTER_TESTS || '').split(',').map((s) => s.trim()).filter(Boolean);
  const wanted = (name) => selected.length === 0 || selected.includes(name);
  const results = [];
  const others = [];
  const timed = async (fn) => {
    const t = Date.now();
    const r = await fn().catch((error) => ({ name: 'error', failures: [error.message] }));
    log(`${r.name}: ${r.failures.length ? 'FAILED' : 'ok'} in ${((Date.now() - t) / 1000).toFixed(0)} s`);
    return r;
  };
  if (wanted('courses')) others.push(await timed(() => coursesAcrossInstances(ctx)));
  for (const fault of FAULTS.filter((f) => wanted(f.name))) results.push(await runFault(fault, ctx, tokens));
  if (wanted('rate-limit')) others.push(await timed(() => rateLimitAcrossInstances(ctx)));

  if (results.length) printTable(results);
  for (const r of others) process.stdout.write(`${r.name.padEnd(12)} ${r.failures.length ? 'FAIL' : 'ok  '}  ${r.note ?? ''}\n`);
  const failed = [...results, ...others].filter((r) => r.failures.length > 0);
  for (const r of failed) for (const f of r.failures) process.stdout.write(`FAIL ${r.name}: ${f}\n`);
  if (supervision.restarts) process.stdout.write(`note: instances exited on their own ${supervision.restarts} time(s) (started again)\n`);
  process.stdout.write(`total ${((Date.now() - runStarted) / 1000).toFixed(0)} s\n`);

  run.ending();
  await receiver.close();
  for (const name of Object.keys(stack.children)) await stack.kill(name);
  await stack.stopTemporal();
  try {
    stack.stopPostgres('fast');
  } catch (e) {
    log(`stopping PostgreSQL: ${e.message}`);
  }
  run.cleanup();
  if (failed.length === 0 && !process.env.CLUSTER_KEEP) fs.rmSync(work, { recursive: true, force: true });
  else log(`logs and data kept in ${work}`);
  return failed.length === 0 ? 0 : 1;
};

main()
  .then((code) => process.exit(code))
  .catch((error) => {
    log(`failed: ${error.stack || error.message}`);
    process.exit(1);
  });
