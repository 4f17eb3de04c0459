#!/usr/bin/env node
'use strict';
/**
 * `npm run bench:webhooks`: outbound webhooks end to end (course event stored in PostgreSQL -> relay
 * poll -> delivery row -> Temporal workflow -> signed POST) to a receiver in this process, against a
 * bare HTTP POST loop from this process to the same receiver (the baseline, measured in the same run:
 * same body size, same headers, same signature check on receipt).
 *
 * Measured:
 *   - live: N courses started through the API, 8 at a time; each CourseStarted is delivered as
 *     `course.started`. Deliveries per second from the first event stored to the last delivery
 *     received, and the latency from each event's recorded_at (es.events) to its receipt.
 *   - backlog: a second subscription, disabled while the same N events were recorded (its deliveries
 *     are kept as skipped), is enabled and recovered; deliveries per second from the recover call to
 *     the last receipt. This is the pipeline's own rate, not bounded by how fast events are made.
 *   - baseline: bare POSTs, 8 concurrent, once over keep-alive connections and once with a new
 *     connection per POST (as each delivery attempt opens its own).
 * Every receipt's signature is verified with the `standardwebhooks` package and the subscription's
 * secret, and every event must arrive exactly once per subscription (by webhook-id).
 *
 * Starts its own PostgreSQL and Temporal dev server (127.0.0.1 only), and runs the compiled worker and
 * API as separate processes, as `npm start` does; all of them are stopped at the end, also on failure.
 * BENCH_WEBHOOK_EVENTS sets N (default 200, at most 1000).
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const { randomBytes } = require('node:crypto');
const { performance } = require('node:perf_hooks');
const { spawn } = require('node:child_process');
const { ROOT, build } = require('../scripts/lib/setup');
const { startCluster } = require('../scripts/lib/postgres');
const { findTemporalCli, startDevServer } = require('../scripts/lib/temporal');
const { freePort, sleep } = require('../scripts/lib/ports');

const EVENTS = Number(process.env.BENCH_WEBHOOK_EVENTS || 200);
const CONCURRENCY = 8;
const POLL_INTERVAL_MS = 100;
const BARE_POSTS = Math.min(20_000, Math.max(2_000, EVENTS * 10));
const BARE_WARMUP = 200;
/** From the servers being started to the end of the measurements (the build comes before): a bound, not an estimate. */
const RUN_TIMEOUT_MS = 90_000 + EVENTS * 600;
const SITE = 'site-bench';
const TASK_QUEUE = 'bench-webhooks';
const log = (m) => process.stderr.write(`[bench] ${m}\n`);

if (!Number.isInteger(EVENTS) || EVENTS < 1 || EVENTS > 1000) {
  process.stderr.write(`BENCH_WEBHOOK_EVENTS must be a whole number from 1 to 1000, got "${process.env.BENCH_WEBHOOK_EVENTS}"\n`);
  process.exit(2);
}

/** Wall-clock milliseconds with sub-millisecond resolution (comparable with PostgreSQL timestamps on this host). */
const wallMs = () => performance.timeOrigin + performance.now();

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
const stats = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1], n: sorted.length };
};

const stopChild = (child) =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });

/**
 * Spawns a compiled entry point and resolves once `ready` appears in its output. Registered for
 * stopping before it is waited for, so a process that never gets ready is stopped too. Its output
 * keeps being drained (into `logFile`) so it never blocks on a full pipe.
 */
const runProcess = (entry, env, ready, logFile, track) => {
  const child = spawn(process.execPath, ['-r', path.join(ROOT, 'tools/scripts/lib/register-aliases.js'), path.join(ROOT, entry)], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(() => stopChild(child));
  const file = fs.createWriteStream(logFile);
  const proc = { child, exited: null, tail: '' };
  child.once('exit', (code, signal) => {
    proc.exited = { code, signal };
    file.end();
  });
  const isReady = new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`${entry} not ready after 90 s: ${proc.tail.slice(-1500)}`)), 90_000);
    const onData = (c) => {
      const text = c.toString();
      file.write(text);
      proc.tail = (proc.tail + text).slice(-4000);
      if (seen !== null) {
        seen = (seen + text).slice(-4000);
        if (ready.test(seen)) {
          seen = null;
          clearTimeout(timer);
          resolve(proc);
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited (${code}): ${proc.tail.slice(-1500)}`));
    });
  });
  return isReady;
};

/** Polls `check` until it returns true; fails at the deadline or as soon as a process we rely on has exited. */
const waitUntil = async (what, check, timeoutMs, procs) => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    for (const p of procs) if (p.exited) throw new Error(`a process exited while waiting for ${what} (${JSON.stringify(p.exited)}): ${p.tail.slice(-1500)}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
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

/**
 * The receiver: one route per subscription (and one for the baseline), each with its secret. Answers
 * 200 with an empty body once the request body is in and its signature checked, and records the
 * receive time, the webhook-id and the parsed body.
 */
const startReceiver = async (Webhook) => {
  const routes = new Map();
  const unknown = { count: 0 };
  const server = http.createServer((req, res) => {
    const route = routes.get(req.url);
    if (route) {
      route.inFlight += 1;
      route.maxInFlight = Math.max(route.maxInFlight, route.inFlight);
    }
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const at = wallMs();
      if (!route || req.method !== 'POST') {
        unknown.count += 1;
        res.writeHead(404, { 'content-length': '0' }).end();
        return;
      }
      route.inFlight -= 1;
      const body = Buffer.concat(chunks).toString('utf8');
      let ok = true;
      try {
        route.verifier.verify(body, req.headers);
      } catch {
        ok = false;
        route.signatureFailures += 1;
      }
      route.receipts.push({ id: String(req.headers['webhook-id'] ?? ''), at, body, ok });
      res.writeHead(200, { 'content-length': '0' }).end();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return {
    port,
    unknown,
    route(urlPath) {
      const route = { urlPath, url: `http://127.0.0.1:${port}${urlPath}`, verifier: null, receipts: [], signatureFailures: 0, inFlight: 0, maxInFlight: 0 };
      routes.set(urlPath, route);
      return route;
    },
    setSecret(route, secret) {
      route.verifier = new Webhook(secret);
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
};

/** Bare signed POSTs of `body` to the receiver: posts per second and per-post latency. */
const barePosts = async ({ Webhook, port, route, secret, body, count, concurrency, keepAlive, tag }) => {
  const agent = new http.Agent({ keepAlive, maxSockets: concurrency });
  const signer = new Webhook(secret);
  const latencies = [];
  const one = (i) =>
    new Promise((resolve, reject) => {
      const id = `msg_bare_${tag}_${i}`;
      const timestamp = new Date();
      const headers = {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        'user-agent': 'care-bench/1',
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
        'webhook-signature': signer.sign(id, timestamp, body),
      };
      const started = performance.now();
      const req = http.request({ host: '127.0.0.1', port, path: route.urlPath, method: 'POST', headers, agent }, (res) => {
        res.resume();
        res.on('end', () => {
          latencies.push(performance.now() - started);
          if (res.statusCode === 200) resolve();
          else reject(new Error(`bare POST answered ${res.statusCode}`));
        });
      });
      req.setTimeout(10_000, () => req.destroy(new Error('bare POST timed out')));
      req.on('error', reject);
      req.end(body);
    });
  await pool(BARE_WARMUP, concurrency, (i) => one(`w${i}`));
  latencies.length = 0;
  const started = performance.now();
  await pool(count, concurrency, one);
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { count, perSecond: count / seconds, latency: stats(latencies) };
};

/** Distinct webhook-ids received and how many arrived more than once. */
const receiptSummary = (receipts) => {
  const byId = new Map();
  for (const r of receipts) byId.set(r.id, (byId.get(r.id) ?? 0) + 1);
  let duplicates = 0;
  for (const n of byId.values()) if (n > 1) duplicates += n - 1;
  return { distinct: byId.size, duplicates };
};

const main = async () => {
  const buildStarted = Date.now();
  build(log);
  log(`built in ${((Date.now() - buildStarted) / 1000).toFixed(1)} s`);
  require('../scripts/lib/register-aliases');
  const { SignJWT, generateKeyPair, exportSPKI } = require('jose');
  const { Webhook } = require('standardwebhooks');
  const { courseStreamId } = require(path.join(ROOT, 'dist/libs/contracts/src'));
  const { createDataSource, runMigrations } = require(path.join(ROOT, 'dist/libs/event-store/src'));

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'care-bench-hooks-'));
  fs.chmodSync(dir, 0o755);
  const stops = [];
  let cleaning = null;
  const cleanup = () =>
    (cleaning ??= (async () => {
      for (const stop of stops.reverse()) await stop().catch((e) => log(`stopping failed: ${e.message}`));
      stops.length = 0;
      await sleep(300);
    })());
  // Whatever is started after the clean-up began (the watchdog fired mid-start) is stopped at once.
  const track = (stop) => {
    if (cleaning) cleaning.then(stop).catch((e) => log(`stopping failed: ${e.message}`));
    else stops.push(stop);
  };
  const onSignal = (signal) => {
    log(`${signal}: stopping everything`);
    cleanup().finally(() => {
      log(`logs kept in ${dir}`);
      process.exit(130);
    });
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let succeeded = false;
  let watchdog = null;
  try {
    const run = async () => {
      const receiver = await startReceiver(Webhook);
      track(() => receiver.close());
      const pg = await startCluster({ clusterDir: path.join(dir, 'pg'), database: 'bench', log });
      track(async () => pg.stop());
      const temporal = await startDevServer({ cli: findTemporalCli({ log }), port: await freePort(), log, logFile: path.join(dir, 'temporal.log') });
      track(() => temporal.stop());
      const db = await createDataSource(pg.url, 2).initialize();
      track(() => db.destroy());
      await runMigrations(db);

      const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
      fs.mkdirSync(path.join(dir, 'keys'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'keys', 'bench-jwt.pem'), await exportSPKI(publicKey));
      const port = await freePort();
      const env = {
        ...process.env,
        DATABASE_URL: pg.url,
        TEMPORAL_ADDRESS: temporal.address,
        TEMPORAL_TASK_QUEUE: TASK_QUEUE,
        DATA_DIR: path.join(dir, 'data'),
        // Written by the worker on start; the API seals subscription secrets with it, the worker opens them.
        PAYLOAD_CODEC_KEYS_FILE: path.join(dir, 'data', 'keys', 'payload-codec.json'),
        AUTH_PUBLIC_KEY_FILE: path.join(dir, 'keys', 'bench-jwt.pem'),
        AUTH_ISSUER: 'bench',
        AUTH_AUDIENCE: 'bench',
        RATE_LIMIT_PER_MINUTE: '1000000',
        RUN_MIGRATIONS: 'false',
        PROJECTIONS_POLL_INTERVAL_MS: String(POLL_INTERVAL_MS),
        WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32',
        WEBHOOK_TIMEOUT_MS: '5000',
        LOG_LEVEL: 'info', // the start-up lines are how this script knows the processes are ready
        HOST: '127.0.0.1',
        PORT: String(port),
      };
      // The worker first: it creates the payload keys that the API then reads.
      const worker = await runProcess('dist/apps/worker/src/main.js', env, /polling task queue/, path.join(dir, 'worker.log'), track);
      const api = await runProcess('dist/apps/api/src/main.js', env, /listening on/, path.join(dir, 'api.log'), track);
      const procs = [worker, api];
      const base = `http://127.0.0.1:${port}`;

      const token = (sub, name, role) =>
        new SignJWT({ name, role, site: SITE, auth_time: Math.floor(Date.now() / 1000) })
          .setProtectedHeader({ alg: 'EdDSA' })
          .setSubject(sub)
          .setIssuer('bench')
          .setAudience('bench')
          .setExpirationTime('1h')
          .sign(privateKey);
      const admin = await token('u-bench-admin', 'Bench Admin', 'admin');
      const coordinator = await token('u-bench-coord', 'Bench Coordinator', 'coordinator');
      const call = async (method, route, bearer, body) => {
        const res = await fetch(`${base}${route}`, {
          method,
          headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const json = await res.json();
        if (res.status >= 300) throw new Error(`${method} ${route}: ${res.status} ${JSON.stringify(json)}`);
        return json;
      };
      const startCourse = async (patientRef) => {
        const { courseId } = await call('POST', '/courses', coordinator, { patientRef, siteId: SITE, protocolId: 'mdma-at-ptsd' });
        if (typeof courseId !== 'string') throw new Error('POST /courses answered without a courseId');
        return courseId;
      };
      const subscribe = async (route) => {
        const sub = await call('POST', '/integrations/subscriptions', admin, { url: route.url, siteId: SITE, eventTypes: ['course.started'], description: 'bench' });
        receiver.setSecret(route, sub.secret);
        return sub;
      };
      const courseOf = (receipt) => {
        try {
          return JSON.parse(receipt.body).data.courseId;
        } catch {
          return undefined;
        }
      };

      const live = receiver.route('/hooks/live');
      const backlog = receiver.route('/hooks/backlog');
      const bare = receiver.route('/hooks/bare');
      const bareSecret = `whsec_${randomBytes(32).toString('base64')}`;
      receiver.setSecret(bare, bareSecret);

      // Warm-up: the first course and the first delivery pay for connections, caches and the workflow bundle.
      const liveSub = await subscribe(live);
      log('warming up');
      const warmCourse = await startCourse('P-BENCH-WARM');
      await waitUntil('the warm-up delivery', () => live.receipts.some((r) => courseOf(r) === warmCourse), 60_000, procs);
      const warmIds = new Set(live.receipts.map((r) => r.id));

      // The backlog subscription exists (disabled) while the measured events are recorded: each gets a skipped delivery.
      const since = new Date().toISOString();
      const backlogSub = await subscribe(backlog);
      await call('PATCH', `/integrations/subscriptions/${backlogSub.subscriptionId}`, admin, { enabled: false });

      log(`starting ${EVENTS} courses, ${CONCURRENCY} at a time`);
      const courseIds = new Array(EVENTS);
      await pool(EVENTS, CONCURRENCY, async (i) => {
        courseIds[i] = await startCourse(`P-BENCH-${i}`);
      });
      const liveReceipts = () => live.receipts.filter((r) => !warmIds.has(r.id));
      await waitUntil(`${EVENTS} live deliveries`, () => receiptSummary(liveReceipts()).distinct >= EVENTS, 30_000 + EVENTS * 300, procs);
      // A little longer, so that a duplicate (e.g. a retry after a 200) would still be counted.
      await sleep(4 * POLL_INTERVAL_MS + 1000);

      const events = await db.query(
        `SELECT event_id::text AS event_id, stream_id, (extract(epoch FROM recorded_at) * 1000)::float8 AS recorded_ms
           FROM es.events WHERE event_type = 'CourseStarted' AND stream_id = ANY($1::text[])`,
        [courseIds.map(courseStreamId)],
      );
      if (events.length !== EVENTS) throw new Error(`expected ${EVENTS} CourseStarted events in es.events, found ${events.length}`);
      const recordedMs = new Map(events.map((e) => [e.event_id, Number(e.recorded_ms)]));

      /** Exactly once per event: each expected event id under one webhook-id, each webhook-id once. */
      const checkOnce = (receipts) => {
        const { distinct, duplicates } = receiptSummary(receipts);
        const eventOf = new Map();
        let foreign = 0;
        for (const r of receipts) {
          let eventId;
          try {
            eventId = JSON.parse(r.body).data.eventId;
          } catch {
            eventId = undefined;
          }
          if (!recordedMs.has(eventId)) foreign += 1;
          else (eventOf.get(eventId) ?? eventOf.set(eventId, new Set()).get(eventId)).add(r.id);
        }
        const missing = [...recordedMs.keys()].filter((id) => !eventOf.has(id)).length;
        const underSeveralIds = [...eventOf.values()].filter((ids) => ids.size > 1).length;
        return { received: receipts.length, distinct, duplicates, missing, foreign, underSeveralIds, failures: receipts.filter((r) => !r.ok).length };
      };

      const liveList = liveReceipts();
      const liveCheck = checkOnce(liveList);
      const firstPerId = new Map();
      for (const r of liveList) if (!firstPerId.has(r.id)) firstPerId.set(r.id, r);
      const liveLatency = stats(
        [...firstPerId.values()].map((r) => r.at - recordedMs.get(JSON.parse(r.body).data.eventId)).filter((v) => Number.isFinite(v)),
      );
      const storedTimes = [...recordedMs.values()].sort((a, b) => a - b);
      const liveLast = Math.max(...liveList.map((r) => r.at));
      const liveRate = EVENTS / ((liveLast - storedTimes[0]) / 1000);
      const storedRate = EVENTS > 1 ? (EVENTS - 1) / ((storedTimes[storedTimes.length - 1] - storedTimes[0]) / 1000) : NaN;
      const sampleBody = liveList[0].body;
      log(`live phase done: ${liveCheck.distinct} deliveries`);

      // Backlog: enable the subscription and recover everything it skipped since it was created.
      await call('PATCH', `/integrations/subscriptions/${backlogSub.subscriptionId}`, admin, { enabled: true });
      const recoverAt = wallMs();
      const { requeued } = await call('POST', `/integrations/subscriptions/${backlogSub.subscriptionId}/recover`, admin, { since });
      if (requeued !== EVENTS) throw new Error(`recover requeued ${requeued} deliveries, expected ${EVENTS}`);
      await waitUntil(`${EVENTS} backlog deliveries`, () => receiptSummary(backlog.receipts).distinct >= EVENTS, 30_000 + EVENTS * 300, procs);
      await sleep(4 * POLL_INTERVAL_MS + 1000);
      const backlogCheck = checkOnce(backlog.receipts);
      const backlogTimes = backlog.receipts.map((r) => r.at);
      const backlogRate = EVENTS / ((Math.max(...backlogTimes) - recoverAt) / 1000);
      const backlogFirstMs = Math.min(...backlogTimes) - recoverAt;
      log('backlog phase done');

      // What the worker itself timed for each attempt (start of the POST to the response headers).
      const attempts = await db.query(
        `SELECT d.subscription_id::text AS sub, a.latency_ms FROM integrations.delivery_attempts a JOIN integrations.deliveries d USING (delivery_id)
          WHERE d.subscription_id = ANY($1::uuid[])`,
        [[liveSub.subscriptionId, backlogSub.subscriptionId]],
      );
      const deliveryRows = await db.query(
        `SELECT subscription_id::text AS sub, status, count(*)::int AS n, sum(attempts)::int AS attempts FROM integrations.deliveries
          WHERE subscription_id = ANY($1::uuid[]) GROUP BY 1, 2 ORDER BY 1, 2`,
        [[liveSub.subscriptionId, backlogSub.subscriptionId]],
      );
      const attemptLatency = stats(attempts.map((a) => Number(a.latency_ms)));
      // Where the live latency goes: the relay round that enqueued the delivery began at its created_at
      // (now() of the relay's transaction); the first attempt began at attempted_at (before signing and POSTing).
      const steps = await db.query(
        `SELECT d.delivery_id, d.event_id::text AS event_id, (extract(epoch FROM d.created_at) * 1000)::float8 AS created_ms,
                (extract(epoch FROM min(a.attempted_at)) * 1000)::float8 AS attempted_ms
           FROM integrations.deliveries d JOIN integrations.delivery_attempts a USING (delivery_id)
          WHERE d.subscription_id = $1 AND d.event_id = ANY($2::uuid[]) GROUP BY d.delivery_id`,
        [liveSub.subscriptionId, [...recordedMs.keys()]],
      );
      const receivedAt = new Map([...firstPerId.values()].map((r) => [r.id, r.at]));
      const breakdown = {
        toRelay: stats(steps.map((s) => Number(s.created_ms) - recordedMs.get(s.event_id))),
        toAttempt: stats(steps.map((s) => Number(s.attempted_ms) - Number(s.created_ms))),
        toReceived: stats(steps.filter((s) => receivedAt.has(s.delivery_id)).map((s) => receivedAt.get(s.delivery_id) - Number(s.attempted_ms))),
      };

      log(`bare POST loop: ${BARE_POSTS} posts, ${CONCURRENCY} concurrent, keep-alive`);
      const bareKeep = await barePosts({ Webhook, port: receiver.port, route: bare, secret: bareSecret, body: sampleBody, count: BARE_POSTS, concurrency: CONCURRENCY, keepAlive: true, tag: 'k' });
      log(`bare POST loop: ${BARE_POSTS} posts, ${CONCURRENCY} concurrent, a new connection each`);
      const bareNew = await barePosts({ Webhook, port: receiver.port, route: bare, secret: bareSecret, body: sampleBody, count: BARE_POSTS, concurrency: CONCURRENCY, keepAlive: false, tag: 'n' });
      const bareFailures = bare.signatureFailures;

      return {
        liveCheck,
        backlogCheck,
        liveLatency,
        liveRate,
        storedRate,
        backlogRate,
        backlogFirstMs,
        attemptLatency,
        breakdown,
        deliveryRows,
        bareKeep,
        bareNew,
        bareFailures,
        bodyBytes: Buffer.byteLength(sampleBody),
        subs: { live: liveSub.subscriptionId, backlog: backlogSub.subscriptionId },
        maxInFlight: { live: live.maxInFlight, backlog: backlog.maxInFlight },
        unknown: receiver.unknown.count,
      };
    };
    const results = await Promise.race([
      run(),
      new Promise((_, reject) => {
        watchdog = setTimeout(() => reject(new Error(`the benchmark took longer than ${RUN_TIMEOUT_MS / 1000} s`)), RUN_TIMEOUT_MS);
      }),
    ]);
    report(results);
    const bad = [results.liveCheck, results.backlogCheck].some((c) => c.failures || c.duplicates || c.missing || c.foreign || c.underSeveralIds) || results.bareFailures > 0;
    if (bad) throw new Error('some deliveries failed verification, were duplicated or went missing (see the table above)');
    succeeded = true;
  } finally {
    clearTimeout(watchdog);
    await cleanup();
    if (succeeded) fs.rmSync(dir, { recursive: true, force: true });
    else log(`logs kept in ${dir}`);
  }
};

const report = (r) => {
  const out = (line) => process.stdout.write(`${line}\n`);
  const num = (n, w = 9, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '-').padStart(w);
  const ratio = (a, b) => `${(a / b).toFixed(3)}x`.padStart(9);
  out('');
  out(`Outbound webhooks: ${EVENTS} course.started events (courses started ${CONCURRENCY} at a time through the API), relay poll interval ${POLL_INTERVAL_MS} ms`);
  out(`payload ${r.bodyBytes} bytes; bare loop ${r.bareKeep.count} POSTs at ${CONCURRENCY} concurrent (same body, headers, signature check)`);
  out('');
  const thr = (label, count, perSecond, ratios) =>
    out(`${label.padEnd(50)} | ${String(count).padStart(6)} | ${num(perSecond)} |${ratios ? ` ${ratio(perSecond, r.bareKeep.perSecond).padStart(17)} | ${ratio(perSecond, r.bareNew.perSecond).padStart(15)}` : ''}`);
  out(`${'throughput'.padEnd(50)} |  count |     per s | / bare keep-alive | / bare new conn`);
  thr('deliveries, live (first stored -> last received)', EVENTS, r.liveRate, true);
  thr('deliveries, backlog (recover -> last received)', EVENTS, r.backlogRate, true);
  thr(`bare POSTs, keep-alive, ${CONCURRENCY} concurrent`, r.bareKeep.count, r.bareKeep.perSecond, false);
  thr(`bare POSTs, a new connection each, ${CONCURRENCY} concurrent`, r.bareNew.count, r.bareNew.perSecond, false);
  out(`(events stored per second while the courses were started: ${num(r.storedRate, 0)}; live deliveries cannot outpace them)`);
  out('');
  const lat = (label, st, d = 1) => out(`${label.padEnd(56)} | ${num(st.p50, 8, d)} | ${num(st.p99, 8, d)} | ${num(st.max, 8, d)}`);
  out(`${'latency, ms'.padEnd(56)} |      p50 |      p99 |      max`);
  lat(`delivery: event stored -> received (poll ${POLL_INTERVAL_MS} ms)`, r.liveLatency);
  lat('  stored -> start of the relay round that enqueued it', r.breakdown.toRelay);
  lat('  relay round start -> first attempt starts', r.breakdown.toAttempt);
  lat('  first attempt starts -> received', r.breakdown.toReceived);
  lat('delivery attempt POST, timed by the worker (whole ms)', r.attemptLatency);
  lat('bare POST, keep-alive, per post', r.bareKeep.latency, 2);
  lat('bare POST, a new connection each, per post', r.bareNew.latency, 2);
  out(`(backlog: first delivery ${num(r.backlogFirstMs, 0, 0)} ms after the recover call; receiver in flight at most ${r.maxInFlight.live} live, ${r.maxInFlight.backlog} backlog)`);
  out('');
  out('checks            | received | distinct ids | duplicates | missing | foreign | bad signature');
  for (const [name, c] of [
    ['live', r.liveCheck],
    ['backlog', r.backlogCheck],
  ]) {
    out(`${name.padEnd(17)} | ${String(c.received).padStart(8)} | ${String(c.distinct).padStart(12)} | ${String(c.duplicates + c.underSeveralIds).padStart(10)} | ${String(c.missing).padStart(7)} | ${String(c.foreign).padStart(7)} | ${String(c.failures).padStart(13)}`);
  }
  out(`bare              | ${String(r.bareKeep.count + r.bareNew.count + 2 * BARE_WARMUP).padStart(8)} |              |            |         |         | ${String(r.bareFailures).padStart(13)}`);
  const rows = r.deliveryRows.map((d) => `${d.sub === r.subs.live ? 'live' : 'backlog'} ${d.status} ${d.n} (attempts ${d.attempts})`).join(', ');
  out(`(integrations.deliveries: ${rows}; unknown requests at the receiver: ${r.unknown})`);
};

main().catch((error) => {
  process.stderr.write(`bench failed: ${error.stack || error.message}\n`);
  process.exit(1);
});
