'use strict';
/**
 * The fault harness shared by `npm run test:faults` (one worker, one API, the Temporal dev server) and
 * `npm run test:cluster` (the Temporal server as separate processes, several workers and API instances):
 * tokens, a readiness poller, one fault run under a bounded load of clients, and the checks of the record
 * afterwards (nothing lost, nothing duplicated, no gap, every course commandable, /audit/verify clean).
 */
const fs = require('node:fs');
const path = require('node:path');
const { setInterval } = require('node:timers');
const { ROOT, build } = require('../setup');
const { sleep } = require('../ports');
const { ensureDevKeys } = require('../dev-keys');
const { waitUntil } = require('./stack');
const { LoadClient, request, NEXT_STEP } = require('./client');

const RECOVERY_LIMIT_S = 10;

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

const buildIfNeeded = (log) => {
  const marker = path.join(ROOT, 'dist/apps/api/src/main.js');
  const worker = path.join(ROOT, 'dist/apps/worker/src/main.js');
  const built = fs.existsSync(marker) && fs.existsSync(worker) ? Math.min(fs.statSync(marker).mtimeMs, fs.statSync(worker).mtimeMs) : 0;
  const sources = Math.max(...['apps', 'libs', 'workflows'].map((d) => newestMtime(path.join(ROOT, d))), fs.statSync(path.join(ROOT, 'tsconfig.build.json')).mtimeMs);
  if (built && built >= sources && fs.existsSync(path.join(ROOT, 'dist/apps/console/index.html'))) return;
  log('building (sources are newer than dist/)');
  build(log);
};

// ------------------------------------------------------------------ tokens

const makeTokens = async (dataDir, clients, log) => {
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
  for (let i = 1; i <= clients; i++) users[`c${i}`] = [`fault-client-${i}`, `Fault Client ${i}`, 'coordinator'];
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

/**
 * What a load balancer does for the clients: spreads requests over the API instances in turn and, after
 * a request to one got no answer at all, leaves that instance out for a few seconds (its health check).
 */
class Balancer {
  constructor(urls, downForMs = 3000) {
    this.urls = urls;
    this.downForMs = downForMs;
    this.next = 0;
    this.downUntil = new Map();
  }

  pick() {
    const now = Date.now();
    for (let i = 0; i < this.urls.length; i++) {
      const url = this.urls[(this.next + i) % this.urls.length];
      if ((this.downUntil.get(url) ?? 0) <= now) {
        this.next = (this.next + i + 1) % this.urls.length;
        return url;
      }
    }
    return this.urls[this.next++ % this.urls.length];
  }

  unreachable(url) {
    if (this.urls.length > 1) this.downUntil.set(url, Date.now() + this.downForMs);
  }
}

// ------------------------------------------------------------------ one fault

/**
 * One fault under load. `ctx`: the stack, the receiver, `query` (PostgreSQL), the subscription, `clients`
 * and `loadMs` (the load), `apiUrls` (the clients spread their requests over them, as a load balancer
 * would; the stack's one API by default) and `readinessUrl` (the instance whose readiness is polled).
 */
const runFault = async (fault, ctx, tokens) => {
  const { stack, query, receiver, log: say } = ctx;
  const CLIENTS = ctx.clients;
  const LOAD_MS = ctx.loadMs;
  const apiUrls = ctx.apiUrls ?? [stack.apiUrl];
  const readinessUrl = ctx.readinessUrl ?? apiUrls[0];
  const balancer = new Balancer(apiUrls);
  const failures = [];
  say(`--- ${fault.name}: ${CLIENTS} clients for ${LOAD_MS / 1000} s`);
  const t0 = Date.now();
  const poller = readinessPoller(readinessUrl);
  const ops = [];
  const courses = [];
  ctx.probe = { unkeyedInFlight: 0 };
  const clients = Array.from(
    { length: CLIENTS },
    (_, i) =>
      new LoadClient({ id: `c${i + 1}`, balancer, token: () => tokens[`c${i + 1}`], phase: fault.name.replace(/[^a-z0-9]/g, '-'), ops, courses, probe: ctx.probe, isReady: () => isReadyNow(balancer.pick()) }),
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
      const client = new LoadClient({ id: `next${i}`, balancer, token: () => tokens.c1, phase: fault.name.replace(/[^a-z0-9]/g, '-'), ops: [], courses: [], isReady: () => isReadyNow(balancer.pick()) });
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
  const verify = await request(balancer.pick(), 'GET', '/audit/verify', { token: tokens.auditor, timeoutMs: 60000 });
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

// ------------------------------------------------------------------ a run's set-up

/**
 * Everything a run started dies with it: on success, failure, Ctrl-C or an overrun of `deadlineMs`.
 * Returns `cleanup()` (idempotent) and `shuttingDown()`, true once the run ends (supervisors stop restarting).
 */
const guardRun = ({ stack, deadlineMs, log }) => {
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
    log(`the run exceeded ${deadlineMs / 60000} minutes: stopping everything`);
    cleanup();
    process.exit(3);
  }, deadlineMs);
  overrun.unref();
  return {
    cleanup,
    shuttingDown: () => shuttingDown,
    ending: () => {
      shuttingDown = true;
    },
  };
};

/** Applies the service's migrations (compiled, in dist/) to the database at `url`. */
const migrate = async (url) => {
  require('../register-aliases');
  const { createDataSource, runMigrations } = require(path.join(ROOT, 'dist/libs/event-store/src'));
  const dataSource = await createDataSource(url, 2).initialize();
  try {
    return await runMigrations(dataSource);
  } finally {
    await dataSource.destroy();
  }
};

/** Queries with a short-lived connection each: PostgreSQL itself is one of the things a run restarts. */
const queryer = (url) => async (sql, params = []) => {
  const { Client } = require('pg');
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows;
  } finally {
    await c.end().catch(() => undefined);
  }
};

/** An admin-made subscription of the receiver to course.started events of site-a; its id. */
const subscribeReceiver = async (apiUrl, token, receiver, description) => {
  const sub = await request(apiUrl, 'POST', '/integrations/subscriptions', {
    token,
    body: { url: receiver.url, siteId: 'site-a', eventTypes: ['course.started'], description },
  });
  if (sub.status !== 201) throw new Error(`creating the subscription answered ${sub.status} ${JSON.stringify(sub.body)}`);
  return sub.body.subscriptionId;
};

module.exports = { buildIfNeeded, makeTokens, readinessPoller, isReadyNow, runFault, checkRecord, printTable, Balancer, RECOVERY_LIMIT_S, guardRun, migrate, queryer, subscribeReceiver };
