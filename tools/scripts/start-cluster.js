#!/usr/bin/env node
'use strict';
/**
 * `npm run start:cluster`: the production topology on this machine. Installs and builds what is
 * missing (the Temporal server and its SQL tool are built once from their Go module and cached like the
 * CLI), starts PostgreSQL, creates the Temporal schemas in it (databases `temporal` and
 * `temporal_visibility`, apart from the service's own `care`), starts the Temporal services as separate
 * processes (history, matching, frontend, internal worker; one config per process), registers the
 * namespace and search attributes, migrates, then starts two course workers and two API instances. All on
 * loopback, data under DATA_DIR (default .data-cluster/), ports kept there so a restart reuses them.
 * Ctrl-C stops everything; the next start finds the same courses.
 *
 *   CLUSTER_APIS=2  CLUSTER_WORKERS=2   how many instances of each
 *   PORT=3000                           the first API's port (the others follow)
 */
const fs = require('node:fs');
const path = require('node:path');
const { log: makeLog } = require('./lib/log');
const { ROOT, ensureDependencies, build } = require('./lib/setup');

const log = makeLog('cluster');

/** Ports remembered in the data folder, so a restart reuses them; preferred ones if free, else any. */
const stickyPorts = async (file, make) => {
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8'));
  const ports = await make();
  fs.writeFileSync(file, JSON.stringify(ports, null, 2));
  return ports;
};

const main = async () => {
  ensureDependencies(log);
  build(log);
  const { freePort, isListening } = require('./lib/ports');
  const { allocatePorts } = require('./lib/temporal-server');
  const { ClusterStack } = require('./lib/cluster');
  const { ensureDevKeys } = require('./lib/dev-keys');

  const apis = Number(process.env.CLUSTER_APIS || 2);
  const workers = Number(process.env.CLUSTER_WORKERS || 2);
  if (!(apis >= 1 && workers >= 1)) throw new Error('CLUSTER_APIS and CLUSTER_WORKERS must be at least 1');
  const work = path.resolve(ROOT, process.env.DATA_DIR || '.data-cluster');
  fs.mkdirSync(work, { recursive: true });
  fs.chmodSync(work, 0o755); // initdb runs as the postgres user, who must reach the folder
  const preferred = async (port) => ((await isListening(port)) ? freePort() : port);
  const firstApi = Number(process.env.PORT || 3000);
  const ports = await stickyPorts(path.join(work, 'ports.json'), async () => ({
    pg: await preferred(Number(process.env.PG_PORT || 55433)),
    apis: await Promise.all(Array.from({ length: apis }, (_, i) => preferred(firstApi + i))),
    temporal: await allocatePorts({ frontend: { grpc: await preferred(Number(process.env.TEMPORAL_PORT || 7233)) } }),
  }));
  if (ports.apis.length !== apis) throw new Error(`${path.join(work, 'ports.json')} has ${ports.apis.length} API ports; delete it to change CLUSTER_APIS`);

  const stack = new ClusterStack({ work, ports: { pg: ports.pg, apis: ports.apis, workers }, temporalPorts: ports.temporal, log });
  let stopping = false;
  const stopAll = async (code) => {
    if (stopping) return;
    stopping = true;
    log('stopping');
    await Promise.all(Object.keys(stack.children).map((name) => stack.stopGracefully(name, 20000)));
    await stack.stopTemporal().catch((e) => log(`stopping Temporal: ${e.message}`));
    try {
      stack.stopPostgres('fast');
    } catch (e) {
      log(`stopping PostgreSQL: ${e.message}`);
    }
    stack.killAllSync();
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  process.on('exit', () => stack.killAllSync());

  try {
    const keys = ensureDevKeys(stack.dataDir, log);
    const localSignIn = !process.env.AUTH_PUBLIC_KEY_FILE && !process.env.AUTH_JWKS_URL && !process.env.OIDC_AUTHORITY;
    log(`starting PostgreSQL on 127.0.0.1:${ports.pg}`);
    await stack.startPostgres();
    await stack.startTemporal();

    log('migrating the database');
    require('./lib/register-aliases');
    const { createDataSource, runMigrations } = require(path.join(ROOT, 'dist/libs/event-store/src'));
    const dataSource = await createDataSource(stack.databaseUrl, 2).initialize();
    const applied = await runMigrations(dataSource);
    await dataSource.destroy();
    log(applied.length ? `applied ${applied.join(', ')}` : 'database schema is up to date');

    const base = stack.env({
      AUTH_PUBLIC_KEY_FILE: process.env.AUTH_PUBLIC_KEY_FILE || keys.publicKeyFile,
      ...(localSignIn ? { AUTH_LOCAL_SIGN_IN_KEY_FILE: keys.privateKeyFile } : {}),
      WEBHOOK_ALLOWED_NETWORKS: process.env.WEBHOOK_ALLOWED_NETWORKS ?? '127.0.0.1/32,::1/128',
    });
    // A supervisor's job: an instance that exits on its own is started again after 2 s.
    const supervise = (name, start) => {
      const child = stack.children[name];
      child.once('exit', (code, signal) => {
        if (stopping) return;
        log(`${name} exited unexpectedly (${signal ?? code}); starting it again in 2 s (the other instances serve meanwhile)`);
        setTimeout(() => {
          if (!stopping) void start().then(() => supervise(name, start));
        }, 2000);
      });
    };
    log(`starting ${workers} course worker(s) and ${apis} API instance(s)`);
    await stack.startApplication(base);
    stack.workerNames.forEach((name, i) => supervise(name, () => stack.startWorkerInstance(i, base)));
    stack.apiNames.forEach((name, i) => supervise(name, () => stack.startApiInstance(i, base)));

    const t = stack.cluster.ports;
    process.stdout.write(
      [
        '',
        'MDMA-AT course-of-care service is running on a Temporal cluster:',
        ...stack.apiUrls.map((url, i) => `  API ${i + 1}          ${url}   (console ${url}/console/, docs ${url}/docs)`),
        `  Temporal       ${stack.temporalAddress}   (frontend; history ${t.history.grpc}, matching ${t.matching.grpc}, worker ${t.worker.grpc})`,
        `  Temporal metrics  ${['frontend', 'history', 'matching', 'worker'].map((s) => `${s} :${t[s].metrics}`).join(', ')}`,
        `  PostgreSQL     postgres://postgres@127.0.0.1:${ports.pg}/care   (Temporal: temporal, temporal_visibility)`,
        `  Logs           ${stack.logsDir} (instances), ${stack.cluster.logDir} (Temporal)`,
        `  Data folder    ${work}`,
        `  Get a token:   DATA_DIR=${path.relative(ROOT, stack.dataDir).startsWith('..') ? stack.dataDir : path.relative(ROOT, stack.dataDir)} npm run token -- --sub alice --name "Alice Example" --role coordinator --site site-a`,
        '  No Temporal UI here (a separate server; docker/compose.yaml runs it). Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
  } catch (error) {
    log(`failed: ${error.message}`);
    await stopAll(1);
  }
};

void main();
