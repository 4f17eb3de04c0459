#!/usr/bin/env node
'use strict';
/**
 * `npm run test:fuzz`: schema-driven fuzzing of the API from its own /openapi.json (schemathesis, in a
 * virtualenv under ~/.cache), against a stack this script starts on loopback (PostgreSQL, the Temporal dev
 * server, the worker and the API, via `npm start`'s script with a throwaway data folder). One run per
 * role (coordinator, physician, auditor, admin), bounded by FUZZ_EXAMPLES per operation (default 25) and
 * FUZZ_SECONDS per role (default 120). All four phases run: the documented examples, coverage, random
 * fuzzing, and stateful sequences that follow the OpenAPI links (a started course's id into its other
 * operations, a command's Command-Id into its status), so commands reach real courses.
 *
 * It counts every response from the HAR reports (schemathesis's summary deduplicates) and fails on any
 * status >= 500. It also accounts for the data: the staff events PostgreSQL holds afterwards must be
 * exactly as many as the 2xx answers listed.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { log: makeLog } = require('./lib/log');
const { ROOT, ensureDependencies } = require('./lib/setup');
const { freePort, sleep } = require('./lib/ports');

const log = makeLog('fuzz');
const SCHEMATHESIS = '4.32.5';
const ROLES = ['coordinator', 'physician', 'auditor', 'admin'];
const EXAMPLES = Number(process.env.FUZZ_EXAMPLES || 25);
const SECONDS = Number(process.env.FUZZ_SECONDS || 120);

const venvDir = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'mdma-care-backbone', `schemathesis-${SCHEMATHESIS}`);
const st = path.join(venvDir, 'bin', 'schemathesis');

const run = (cmd, args, options = {}) => {
  const result = spawnSync(cmd, args, { stdio: 'inherit', ...options });
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${result.status}`);
};

/** The virtualenv with schemathesis, created once. */
const ensureSchemathesis = () => {
  if (fs.existsSync(st)) return;
  log(`creating a virtualenv with schemathesis ${SCHEMATHESIS} in ${venvDir}`);
  run('python3', ['-m', 'venv', venvDir]);
  run(path.join(venvDir, 'bin', 'pip'), ['install', '--quiet', `schemathesis==${SCHEMATHESIS}`]);
};

const waitForReady = async (url, timeoutMs, stack) => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (stack.exitCode !== null) throw new Error(`the stack stopped before it was ready (exit ${stack.exitCode})`);
    try {
      if ((await fetch(`${url}/health/ready`)).status === 200) return;
    } catch {
      /* not listening yet */
    }
    await sleep(1000);
  }
  throw new Error(`the stack was not ready at ${url} within ${timeoutMs / 1000} s`);
};

/** Staff events in the record (the workflow's own notices and alerts are not answers to requests). */
const staffEvents = async (databaseUrl) => {
  const { Client } = require('pg');
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query(`SELECT count(*)::int AS n FROM es.events WHERE metadata -> 'actor' ->> 'role' <> 'system'`);
    return rows[0].n;
  } finally {
    await client.end();
  }
};

/** Statuses of every exchange in the HAR files, and the events the 2xx answers list. */
const readReports = (dir) => {
  const statuses = new Map();
  const serverErrors = [];
  let listedEvents = 0;
  // Courses this run started (201), and the requests that then reached one of them (followed links).
  const started = new Set();
  let onRealCourses = 0;
  let acceptedCommands = 0;
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    for (const entry of JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')).log.entries) {
      const status = entry.response.status;
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status >= 500) serverErrors.push(`${entry.request.method} ${entry.request.url} -> ${status}`);
      const course = /\/courses\/([^/?]+)/.exec(new URL(entry.request.url).pathname)?.[1];
      if (course && started.has(decodeURIComponent(course))) onRealCourses += 1;
      if (status >= 200 && status < 300 && entry.request.method === 'POST') {
        try {
          const body = JSON.parse(entry.response.content?.text ?? 'null');
          if (Array.isArray(body?.events)) listedEvents += body.events.length;
          if (status === 201 && typeof body?.courseId === 'string') started.add(body.courseId);
          if (course && status === 200) acceptedCommands += 1;
        } catch {
          /* not JSON: lists no events */
        }
      }
    }
  }
  return { statuses, serverErrors, listedEvents, startedCourses: started.size, onRealCourses, acceptedCommands };
};

const main = async () => {
  ensureDependencies(log);
  ensureSchemathesis();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'care-fuzz-'));
  // PostgreSQL's initdb may run as the postgres user, who must be able to reach the data folder.
  fs.chmodSync(work, 0o755);
  const dataDir = path.join(work, 'data');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    DATA_DIR: dataDir,
    PORT: String(port),
    PG_PORT: String(await freePort()),
    TEMPORAL_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    // The default limit would answer most fuzz requests with 429 and test nothing behind it.
    RATE_LIMIT_PER_MINUTE: '1000000',
    LOG_LEVEL: 'warn',
  };
  log(`starting the stack on ${url} (data in ${dataDir})`);
  const stack = spawn(process.execPath, [path.join(ROOT, 'tools/scripts/start.js')], { env, stdio: ['ignore', 'inherit', 'inherit'], detached: true });
  let failed = false;
  try {
    await waitForReady(url, 300_000, stack);
    const databaseUrl = `postgres://postgres@127.0.0.1:${fs.readFileSync(path.join(dataDir, 'postgres.port'), 'utf8').trim()}/care`;
    const before = await staffEvents(databaseUrl);
    const reports = path.join(work, 'reports');
    for (const role of ROLES) {
      const token = spawnSync(process.execPath, [path.join(ROOT, 'tools/scripts/token.js'), '--sub', `fuzz-${role}`, '--name', `Fuzz ${role}`, '--role', role, '--site', 'site-a'], {
        env,
        encoding: 'utf8',
      }).stdout.trim().split('\n').pop();
      log(`fuzzing as ${role} (${EXAMPLES} examples per operation, at most ${SECONDS} s)`);
      const result = spawnSync(
        st,
        ['run', `${url}/openapi.json`, '-H', `Authorization: Bearer ${token}`, '-c', 'not_a_server_error', '--max-examples', String(EXAMPLES), '--max-time', String(SECONDS), '--phases', 'examples,coverage,fuzzing,stateful', '--report', 'har', '--report-dir', path.join(reports, role)],
        { stdio: ['ignore', 'ignore', 'inherit'], timeout: 900_000 },
      );
      // Exit 1 is "found failures", counted from the HAR below; anything else is a broken run.
      if (result.status !== 0 && result.status !== 1) throw new Error(`schemathesis as ${role} exited with ${result.status ?? result.signal}`);
    }
    const after = await staffEvents(databaseUrl);
    let total = 0;
    const all = new Map();
    const errors = [];
    let listed = 0;
    let courses = 0;
    let linked = 0;
    let accepted = 0;
    for (const role of ROLES) {
      const { statuses, serverErrors, listedEvents, startedCourses, onRealCourses, acceptedCommands } = readReports(path.join(reports, role));
      courses += startedCourses;
      linked += onRealCourses;
      accepted += acceptedCommands;
      const n = [...statuses.values()].reduce((a, b) => a + b, 0);
      total += n;
      listed += listedEvents;
      errors.push(...serverErrors);
      for (const [s, c] of statuses) all.set(s, (all.get(s) ?? 0) + c);
      log(`${role.padEnd(12)} ${String(n).padStart(6)} requests  ${[...statuses].sort((a, b) => a[0] - b[0]).map(([s, c]) => `${s}:${c}`).join(' ')}`);
    }
    const added = after - before;
    log(`total        ${String(total).padStart(6)} requests, ${errors.length} answered >= 500; staff events added ${added}, listed in 2xx answers ${listed}`);
    log(`stateful     ${courses} courses started, ${linked} requests on them (links followed), ${accepted} commands accepted on them`);
    for (const e of errors.slice(0, 20)) log(`  5xx: ${e}`);
    if (errors.length > 0) failed = true;
    if (added !== listed) {
      log('the record does not match the answers: an accepted command without its events, or events no answer listed');
      failed = true;
    }
  } finally {
    try {
      process.kill(-stack.pid, 'SIGINT');
    } catch {
      /* already gone */
    }
    await new Promise((resolve) => (stack.exitCode !== null ? resolve() : stack.once('exit', resolve)));
    fs.rmSync(work, { recursive: true, force: true });
  }
  process.exit(failed ? 1 : 0);
};

main().catch((error) => {
  log(`failed: ${error.message}`);
  process.exit(1);
});
