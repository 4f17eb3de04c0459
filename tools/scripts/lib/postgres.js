'use strict';
/**
 * Provisions PostgreSQL for the embedded default and the tests: DATABASE_URL wins; otherwise a cluster
 * of our own is created from the server binaries (Debian's /usr/lib/postgresql/<v>/bin) in a
 * git-ignored folder, listening on loopback only.
 */
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');
const { Client } = require('pg');
const { freePort, sleep } = require('./ports');

const INSTALL_HINT =
  'PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found. Install them with ' +
  '"sudo apt-get install -y postgresql" (Debian/Ubuntu), or set DATABASE_URL to an existing server.';

/** The directory holding initdb/pg_ctl of the newest PostgreSQL found, or null. */
const findServerBinaries = () => {
  if (process.env.PG_BIN_DIR) return fs.existsSync(path.join(process.env.PG_BIN_DIR, 'initdb')) ? process.env.PG_BIN_DIR : null;
  const root = '/usr/lib/postgresql';
  if (fs.existsSync(root)) {
    const versions = fs
      .readdirSync(root)
      .filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length > 0) return path.join(root, versions[0], 'bin');
  }
  const onPath = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' }).stdout.trim();
  return onPath ? path.dirname(onPath) : null;
};

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** PostgreSQL refuses to run as root, so as root we run its tools as the `postgres` user. */
const run = (bin, args, options = {}) => {
  const [cmd, argv] = isRoot() ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  return execFileSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });
};

const prepareDir = (dir) => {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (isRoot()) execFileSync('chown', ['-R', 'postgres:postgres', dir]);
};

/** The port a running cluster in `clusterDir` listens on, or null if it is not running. */
const runningPort = (clusterDir) => {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return null;
  const lines = fs.readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  try {
    process.kill(pid, 0);
  } catch {
    return null; // stale pid file from a crash; pg_ctl start cleans it up
  }
  return Number(lines[3]) || null;
};

const waitForConnection = async (url, timeoutMs) => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      return;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) throw error;
      await sleep(200);
    }
  }
};

const ensureDatabase = async (adminUrl, database) => {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (rowCount === 0) await client.query(`CREATE DATABASE "${database}"`);
  } finally {
    await client.end();
  }
};

/**
 * Starts (or reuses) a cluster in `clusterDir` and returns its URL and a stop function.
 * @param {{clusterDir: string, port?: number, database?: string, log: (m: string) => void}} options
 */
const startCluster = async ({ clusterDir, port, database = 'care', log }) => {
  const bin = findServerBinaries();
  if (!bin) throw new Error(INSTALL_HINT);
  clusterDir = path.resolve(clusterDir);

  if (!fs.existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    log(`creating a PostgreSQL cluster in ${clusterDir}`);
    prepareDir(clusterDir);
    run(path.join(bin, 'initdb'), ['-D', clusterDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync']);
  }

  let listening = runningPort(clusterDir);
  let startedHere = false;
  if (listening) {
    log(`PostgreSQL already running on 127.0.0.1:${listening}`);
  } else {
    listening = port || (await freePort());
    log(`starting PostgreSQL on 127.0.0.1:${listening}`);
    prepareDir(clusterDir);
    const opts = `-p ${listening} -k ${clusterDir} -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200`;
    run(path.join(bin, 'pg_ctl'), ['-D', clusterDir, '-l', path.join(clusterDir, 'server.log'), '-o', opts, '-w', '-t', '60', 'start']);
    startedHere = true;
  }

  const adminUrl = `postgres://postgres@127.0.0.1:${listening}/postgres`;
  await waitForConnection(adminUrl, 30000);
  await ensureDatabase(adminUrl, database);

  const stop = () => {
    if (!startedHere) return;
    try {
      run(path.join(bin, 'pg_ctl'), ['-D', clusterDir, '-m', 'fast', '-w', 'stop']);
    } catch (error) {
      log(`stopping PostgreSQL failed: ${error.message}`);
    }
  };
  return { url: `postgres://postgres@127.0.0.1:${listening}/${database}`, port: listening, stop, startedHere };
};

module.exports = { startCluster, findServerBinaries, INSTALL_HINT, ensureDatabase };
