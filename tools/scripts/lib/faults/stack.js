'use strict';
/**
 * The stack `npm run test:faults` breaks on purpose: PostgreSQL (pg_ctl, a daemon), the Temporal dev
 * server on a SQLite file, the worker and the API as separate processes, each in its own process group
 * where we spawn it, so a fault can SIGKILL one of them and the exit handler can kill everything.
 * Loopback only; every wait has a deadline.
 */
const fs = require('node:fs');
const path = require('node:path');
const { spawn, execFileSync } = require('node:child_process');
const { ROOT } = require('../setup');
const { startCluster, findServerBinaries } = require('../postgres');
const { findTemporalCli, startDevServer } = require('../temporal');
const { sleep } = require('../ports');

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** pg_ctl as the postgres user when we are root (PostgreSQL refuses to run as root). */
const pgCtl = (args, timeoutMs = 60000) => {
  const bin = path.join(findServerBinaries(), 'pg_ctl');
  const [cmd, argv] = isRoot() ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  return execFileSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
};

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Waits until `check()` is truthy; throws `what` after `timeoutMs`. */
const waitUntil = async (what, check, timeoutMs, everyMs = 200) => {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(everyMs);
  }
};

class Stack {
  constructor({ work, ports, log }) {
    this.work = work;
    this.dataDir = path.join(work, 'data');
    this.clusterDir = path.join(this.dataDir, 'postgres');
    this.dbFile = path.join(this.dataDir, 'temporal', 'dev.db');
    this.logsDir = path.join(work, 'logs');
    this.ports = ports;
    this.log = log;
    this.apiUrl = `http://127.0.0.1:${ports.api}`;
    this.children = { worker: null, api: null };
    this.temporal = null;
    this.pgStarted = false;
    this.cli = null;
    fs.mkdirSync(this.dataDir, { recursive: true });
    fs.mkdirSync(path.dirname(this.dbFile), { recursive: true });
    fs.mkdirSync(this.logsDir, { recursive: true });
  }

  get databaseUrl() {
    return `postgres://postgres@127.0.0.1:${this.ports.pg}/care`;
  }

  // ------------------------------------------------------------------ PostgreSQL

  async startPostgres() {
    await startCluster({ clusterDir: this.clusterDir, port: this.ports.pg, log: () => undefined });
    this.pgStarted = true;
  }

  /** `fast` (a clean shutdown) or `immediate` (like a crash: recovery on the next start). */
  stopPostgres(mode = 'fast') {
    pgCtl(['-D', this.clusterDir, '-m', mode, '-w', '-t', '60', 'stop']);
  }

  postmasterPid() {
    try {
      return Number(fs.readFileSync(path.join(this.clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0]) || null;
    } catch {
      return null;
    }
  }

  // ------------------------------------------------------------------ Temporal

  async startTemporal() {
    if (!this.cli) this.cli = findTemporalCli({ log: this.log });
    this.temporal = await startDevServer({
      cli: this.cli,
      port: this.ports.temporal,
      dbFile: this.dbFile,
      log: () => undefined,
      logFile: path.join(this.logsDir, 'temporal.log'),
    });
  }

  async stopTemporal() {
    const t = this.temporal;
    this.temporal = null;
    if (t) await t.stop();
  }

  /** The Temporal server's processes, for the exit handler. */
  temporalPids() {
    return this.temporal?.pid ? [this.temporal.pid] : [];
  }

  get temporalAddress() {
    return `127.0.0.1:${this.ports.temporal}`;
  }

  // ------------------------------------------------------------------ worker and API

  env(extra) {
    return {
      ...process.env,
      ...extra,
      DATA_DIR: this.dataDir,
      DATABASE_URL: this.databaseUrl,
      TEMPORAL_ADDRESS: this.temporalAddress,
      HOST: '127.0.0.1',
      PORT: String(this.ports.api),
      RUN_MIGRATIONS: 'false',
    };
  }

  spawnNode(name, entry, env) {
    const out = fs.openSync(path.join(this.logsDir, `${name}.log`), 'a');
    // The worker's heap limit (WORKER_MAX_HEAP_MB) is a node option: applied where the process starts, as npm start does.
    const nodeOptions = entry.startsWith('dist/apps/worker/') ? require(path.join(ROOT, 'dist/libs/config/src')).workerNodeOptions(env) : [];
    const child = spawn(process.execPath, [...nodeOptions, '-r', path.join(ROOT, 'tools/scripts/lib/register-aliases.js'), path.join(ROOT, entry)], {
      cwd: ROOT,
      env,
      stdio: ['ignore', out, out],
      detached: true, // its own process group: SIGKILL reaches it and anything it starts
    });
    fs.closeSync(out);
    child.once('exit', () => {
      if (this.children[name] === child) this.children[name] = null;
    });
    this.children[name] = child;
    return child;
  }

  startWorker(env) {
    return this.spawnNode('worker', 'dist/apps/worker/src/main.js', env);
  }

  startApi(env) {
    return this.spawnNode('api', 'dist/apps/api/src/main.js', env);
  }

  /** SIGKILL to the child's process group; resolves when it has exited. */
  async kill(name) {
    const child = this.children[name];
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
    await Promise.race([exited, sleep(10000)]);
  }

  /** Synchronous, for exit handlers: kills every process this stack started. Safe to call twice. */
  killAllSync() {
    for (const child of Object.values(this.children)) {
      if (child && child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
    for (const pid of this.temporalPids()) {
      if (!alive(pid)) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    if (this.pgStarted) {
      const pid = this.postmasterPid();
      if (pid && alive(pid)) {
        try {
          pgCtl(['-D', this.clusterDir, '-m', 'immediate', '-w', '-t', '20', 'stop'], 25000);
        } catch {
          /* fall through to the signal */
        }
        if (alive(pid)) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
      }
    }
  }

  tail(name, lines = 30) {
    try {
      return fs.readFileSync(path.join(this.logsDir, `${name}.log`), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}

module.exports = { Stack, waitUntil, alive };
