#!/usr/bin/env node
'use strict';
/**
 * `npm start`: the embedded default on one machine. Installs and builds what is missing, starts
 * PostgreSQL (unless DATABASE_URL is set) and the Temporal dev server (unless TEMPORAL_ADDRESS is set),
 * both keeping their data under DATA_DIR (default .data/), migrates the database, then runs the worker
 * and the API. Ctrl-C stops everything it started; the next start finds the same courses.
 */
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { log: makeLog } = require('./lib/log');
const { ROOT, ensureDependencies, build } = require('./lib/setup');

const log = makeLog('start');

/** A port remembered in the data folder, so restarts reuse it; the preferred one if free, else any. */
const stickyPort = async (file, preferred) => {
  const { freePort, isListening } = require('./lib/ports');
  if (fs.existsSync(file)) return Number(fs.readFileSync(file, 'utf8'));
  const port = (await isListening(preferred)) ? await freePort() : preferred;
  fs.writeFileSync(file, String(port));
  return port;
};

const waitForReady = async (url, child, timeoutMs) => {
  const { sleep } = require('./lib/ports');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error('the API exited during start-up; see its output above');
    try {
      const res = await fetch(url);
      if (res.status === 200) return;
    } catch {
      /* not listening yet */
    }
    await sleep(500);
  }
  throw new Error(`the API did not become ready within ${timeoutMs / 1000} s`);
};

const main = async () => {
  ensureDependencies(log);
  build(log);

  const { startCluster } = require('./lib/postgres');
  const { findTemporalCli, startDevServer } = require('./lib/temporal');
  const { ensureDevKeys } = require('./lib/dev-keys');

  const dataDir = path.resolve(ROOT, process.env.DATA_DIR || '.data');
  fs.mkdirSync(dataDir, { recursive: true });
  fs.chmodSync(dataDir, 0o755);
  const stops = [];
  let stopping = false;
  const stopAll = async (code) => {
    if (stopping) return;
    stopping = true;
    log('stopping');
    for (const stop of stops.reverse()) await stop().catch((e) => log(`stop failed: ${e.message}`));
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  try {
    const keys = ensureDevKeys(dataDir, log);
    const localSignIn = !process.env.AUTH_PUBLIC_KEY_FILE && !process.env.AUTH_JWKS_URL && !process.env.OIDC_AUTHORITY;

    let databaseUrl = process.env.DATABASE_URL;
    if (!databaseUrl) {
      const pg = await startCluster({
        clusterDir: path.join(dataDir, 'postgres'),
        port: await stickyPort(path.join(dataDir, 'postgres.port'), Number(process.env.PG_PORT || 55432)),
        log,
      });
      stops.push(async () => pg.stop());
      databaseUrl = pg.url;
    }

    let temporalAddress = process.env.TEMPORAL_ADDRESS;
    let uiUrl = process.env.TEMPORAL_UI_URL || null;
    if (!temporalAddress) {
      const cli = findTemporalCli({ log });
      fs.mkdirSync(path.join(dataDir, 'temporal'), { recursive: true });
      const temporal = await startDevServer({
        cli,
        port: await stickyPort(path.join(dataDir, 'temporal.port'), Number(process.env.TEMPORAL_PORT || 7233)),
        uiPort: await stickyPort(path.join(dataDir, 'temporal-ui.port'), Number(process.env.TEMPORAL_UI_PORT || 8233)),
        dbFile: path.join(dataDir, 'temporal', 'dev.db'),
        log,
        logFile: path.join(dataDir, 'temporal', 'server.log'),
      });
      stops.push(() => temporal.stop());
      temporalAddress = temporal.address;
      uiUrl = temporal.uiUrl;
    }

    const env = {
      ...process.env,
      DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporalAddress,
      AUTH_PUBLIC_KEY_FILE: process.env.AUTH_PUBLIC_KEY_FILE || keys.publicKeyFile,
      // The console's local sign-in issues tokens with the generated key: only with that key, never with a provider.
      ...(localSignIn ? { AUTH_LOCAL_SIGN_IN_KEY_FILE: keys.privateKeyFile } : {}),
      // The embedded default may deliver webhooks to receivers on this machine (tests, demos); nothing else private.
      WEBHOOK_ALLOWED_NETWORKS: process.env.WEBHOOK_ALLOWED_NETWORKS ?? '127.0.0.1/32,::1/128',
      ...(uiUrl ? { TEMPORAL_UI_URL: uiUrl } : {}),
    };

    log('migrating the database');
    require('./lib/register-aliases');
    const { createDataSource, runMigrations } = require(path.join(ROOT, 'dist/libs/event-store/src'));
    const dataSource = await createDataSource(databaseUrl, 2).initialize();
    const applied = await runMigrations(dataSource);
    await dataSource.destroy();
    log(applied.length ? `applied ${applied.join(', ')}` : 'database schema is up to date');

    const spawnChild = (entry) => {
      // The worker's heap limit (WORKER_MAX_HEAP_MB) is a node option, so it is applied here, where the process starts.
      const nodeOptions = entry.startsWith('dist/apps/worker/') ? require(path.join(ROOT, 'dist/libs/config/src')).workerNodeOptions(env) : [];
      return spawn(process.execPath, [...nodeOptions, '-r', path.join(__dirname, 'lib/register-aliases.js'), path.join(ROOT, entry)], {
        cwd: ROOT,
        env: { ...env, RUN_MIGRATIONS: 'false' },
        stdio: 'inherit',
      });
    };
    const stopChild = (child) =>
      new Promise((resolve) => {
        if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      });

    /** The API: if it exits on its own, everything stops (nothing could be reached anyway). */
    const runApi = (entry) => {
      const child = spawnChild(entry);
      child.once('exit', (code, signal) => {
        if (!stopping) {
          log(`api exited unexpectedly (${signal ?? code}); stopping everything`);
          void stopAll(1);
        }
      });
      stops.push(() => stopChild(child));
      return child;
    };

    /**
     * The worker: restarted when it crashes, after a back-off that doubles up to 30 s (reset once it
     * has run for a minute), so one crash does not stop the API and a crash loop does not spin.
     */
    const runWorker = (entry) => {
      let child = null;
      let delayMs = 1000;
      const launch = () => {
        const startedAt = Date.now();
        child = spawnChild(entry);
        child.once('exit', (code, signal) => {
          if (stopping) return;
          if (Date.now() - startedAt > 60000) delayMs = 1000;
          log(`worker exited unexpectedly (${signal ?? code}); restarting it in ${delayMs / 1000} s (commands wait meanwhile and are not lost)`);
          setTimeout(() => {
            if (!stopping) launch();
          }, delayMs);
          delayMs = Math.min(delayMs * 2, 30000);
        });
      };
      launch();
      stops.push(() => stopChild(child));
    };

    runWorker('dist/apps/worker/src/main.js');
    const api = runApi('dist/apps/api/src/main.js');
    const host = process.env.HOST || '127.0.0.1';
    const port = process.env.PORT || '3000';
    const apiUrl = `http://${host}:${port}`;
    await waitForReady(`${apiUrl}/health/ready`, api, 120000);

    process.stdout.write(
      [
        '',
        'MDMA-AT course-of-care service is running:',
        `  Console        ${apiUrl}/console/   (${localSignIn ? 'local sign-in: pick a name, role and site' : 'sign in with the identity provider'})`,
        `  API            ${apiUrl}`,
        `  API docs       ${apiUrl}/docs   (OpenAPI: ${apiUrl}/openapi.json)`,
        `  Temporal UI    ${uiUrl ?? '(external cluster)'}`,
        `  Temporal       ${temporalAddress}`,
        `  PostgreSQL     ${databaseUrl.replace(/:[^:@/]*@/, ':***@')}`,
        `  Data folder    ${dataDir}`,
        '  Get a token:   npm run token -- --sub alice --name "Alice Example" --role coordinator --site site-a',
        `  Webhooks in    POST ${apiUrl}/webhooks/<sourceId>   (register a source: POST /integrations/sources as an admin)`,
        `  Webhooks out   to https endpoints, or http on ${env.WEBHOOK_ALLOWED_NETWORKS || '(no private network)'}`,
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
  } catch (error) {
    log(`failed: ${error.message}`);
    await stopAll(1);
  }
};

void main();
