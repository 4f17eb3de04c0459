'use strict';
/**
 * The real Temporal server on our PostgreSQL: its binaries (built once from the Go module and cached
 * outside the clone, like the CLI), its two schemas, and its services as separate processes, one
 * config per process. Used by `npm run start:cluster`, the cluster tests and `bench:commands --cluster`.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { Client } = require('pg');
const { freePort, freePortBelow, isListening, sleep } = require('./ports');
const { waitForTemporal, SEARCH_ATTRIBUTES } = require('./temporal');

// The server version the CLI (v1.5.1) embeds; v1.32 needs a newer Go than these machines have.
const SERVER_VERSION = 'v1.29.1';
const MODULE = 'go.temporal.io/server';
/** Start order: history owns the shards, matching the task queues, the frontend serves, the worker runs system workflows. */
const SERVICES = ['history', 'matching', 'frontend', 'worker'];
const DATABASES = { temporal: 'temporal', visibility: 'temporal_visibility' };

const cacheDir = () =>
  path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'mdma-care-backbone', `temporal-server-${SERVER_VERSION}`);

const which = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim() || null;
const versionOf = (bin) => spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim();
const works = (bin) => fs.existsSync(bin) && versionOf(bin).includes(SERVER_VERSION.slice(1));

/**
 * The server and SQL tool binaries and the PostgreSQL schema folder, built with `go install` when not
 * cached (once per machine, a few minutes). TEMPORAL_SERVER_DIR points at a folder of one's own
 * holding bin/server, bin/sql and schema/postgresql/v12 (an operator's build).
 * @returns {{ server: string, sqlTool: string, schemaDir: string }}
 */
const findTemporalServer = ({ log }) => {
  const dir = process.env.TEMPORAL_SERVER_DIR || cacheDir();
  const server = path.join(dir, 'bin', 'server');
  const sqlTool = path.join(dir, 'bin', 'sql');
  const schemaDir = path.join(dir, 'schema', 'postgresql', 'v12');
  if (works(server) && works(sqlTool) && fs.existsSync(path.join(schemaDir, 'temporal', 'versioned'))) return { server, sqlTool, schemaDir };
  if (process.env.TEMPORAL_SERVER_DIR) throw new Error(`TEMPORAL_SERVER_DIR=${dir} must hold bin/server and bin/sql (${SERVER_VERSION}) and schema/postgresql/v12`);
  const go = which('go');
  if (!go) throw new Error(`the Temporal server ${SERVER_VERSION} is not built and there is no Go toolchain to build it: install Go, or set TEMPORAL_SERVER_DIR`);
  const env = { ...process.env, CGO_ENABLED: '0', GOBIN: path.dirname(server), GOFLAGS: '-buildvcs=false' };
  if (!works(server) || !works(sqlTool)) {
    log(`building the Temporal server ${SERVER_VERSION} and its SQL tool from source into ${path.dirname(server)}`);
    log('this happens once per machine and takes a few minutes; later runs reuse the build');
    const started = Date.now();
    const result = spawnSync(go, ['install', '-ldflags=-s -w', `${MODULE}/cmd/server@${SERVER_VERSION}`, `${MODULE}/cmd/tools/sql@${SERVER_VERSION}`], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env,
    });
    if (result.status !== 0 || !works(server) || !works(sqlTool)) throw new Error(`go install of the Temporal server failed (exit ${result.status}); see the output above`);
    log(`Temporal server built in ${Math.round((Date.now() - started) / 1000)} s`);
  }
  // The schema files come with the module source, which `go install` has just put in the module cache.
  const download = spawnSync(go, ['mod', 'download', '-json', `${MODULE}@${SERVER_VERSION}`], { encoding: 'utf8', env });
  if (download.status !== 0) throw new Error(`go mod download ${MODULE}@${SERVER_VERSION} failed: ${download.stderr}`);
  const moduleDir = JSON.parse(download.stdout).Dir;
  fs.mkdirSync(path.dirname(schemaDir), { recursive: true });
  fs.cpSync(path.join(moduleDir, 'schema', 'postgresql', 'v12'), schemaDir, { recursive: true });
  return { server, sqlTool, schemaDir };
};

/**
 * Creates the Temporal role and its two databases in our PostgreSQL cluster if missing (the service's
 * own database stays apart), then sets up and updates both schemas with the server's SQL tool.
 * Idempotent: `update-schema` applies only the versions a database does not have yet.
 */
const ensureTemporalSchemas = async ({ sqlTool, schemaDir, host, port, adminUrl, user = 'temporal', log }) => {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const role = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [user]);
    if (role.rowCount === 0) await admin.query(`CREATE ROLE "${user}" LOGIN`);
    for (const database of Object.values(DATABASES)) {
      const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
      if (exists.rowCount === 0) {
        log(`creating database ${database}`);
        await admin.query(`CREATE DATABASE "${database}" OWNER "${user}"`);
      }
    }
  } finally {
    await admin.end();
  }
  for (const [folder, database] of [['temporal', DATABASES.temporal], ['visibility', DATABASES.visibility]]) {
    const db = new Client({ connectionString: adminUrl.replace(/\/[^/]*$/, `/${database}`) });
    await db.connect();
    const { rowCount } = await db.query(`SELECT 1 FROM information_schema.tables WHERE table_name = 'schema_version'`).finally(() => db.end());
    const tool = (args) => {
      const result = spawnSync(sqlTool, ['--plugin', 'postgres12', '--ep', host, '-p', String(port), '-u', user, '--db', database, ...args], { encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`temporal-sql-tool ${args[0]} on ${database} failed: ${(result.stderr || result.stdout).slice(-2000)}`);
    };
    if (rowCount === 0) tool(['setup-schema', '-v', '0.0']);
    tool(['update-schema', '-d', path.join(schemaDir, folder, 'versioned')]);
  }
  log('Temporal schemas are up to date');
};

/**
 * Ports of one cluster: gRPC and membership per service, the frontend's HTTP API, a metrics port per
 * process. Membership ports are stored as a PostgreSQL smallint (cluster_membership), so they must be
 * below 32768, out of the kernel's ephemeral range where `freePort()` finds ports.
 */
const allocatePorts = async (preferred = {}) => {
  const ports = {};
  for (const service of SERVICES) {
    ports[service] = {
      grpc: preferred[service]?.grpc ?? (await freePort()),
      membership: preferred[service]?.membership ?? (await freePortBelow(32768)),
      metrics: preferred[service]?.metrics ?? (await freePort()),
    };
  }
  ports.frontend.http = preferred.frontend?.http ?? (await freePort());
  return ports;
};

const yamlString = (value) => JSON.stringify(String(value));

/**
 * The shared config (base.yaml) and one small file per process (its own metrics port; pprof off, as it
 * is in base), loaded by the server as `--config <dir> --env <service>`. Adapted from the module's
 * config/development-postgres12.yaml.
 */
const writeConfig = ({ configDir, ports, pg, numHistoryShards, maxConns }) => {
  fs.mkdirSync(configDir, { recursive: true });
  const store = (database, conns) => `      sql:
        pluginName: postgres12
        databaseName: ${database}
        connectAddr: ${yamlString(`${pg.host}:${pg.port}`)}
        connectProtocol: tcp
        user: ${yamlString(pg.user)}
        password: ${yamlString(pg.password ?? '')}
        maxConns: ${conns}
        maxIdleConns: ${conns}
        maxConnLifetime: 1h`;
  const service = (name, extra = '') => `  ${name}:
    rpc:
      grpcPort: ${ports[name].grpc}
      membershipPort: ${ports[name].membership}
      bindOnLocalHost: true
${extra}`;
  const base = `# Written by tools/scripts/lib/temporal-server.js: the services of one Temporal cluster on PostgreSQL.
log:
  stdout: true
  level: warn
persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  # Fixed for the life of the cluster: it cannot change once the schema holds data.
  numHistoryShards: ${numHistoryShards}
  datastores:
    postgres-default:
${store(DATABASES.temporal, maxConns)}
    postgres-visibility:
${store(DATABASES.visibility, 2)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"
  pprof:
    port: 0
services:
${service('frontend', `      httpPort: ${ports.frontend.http}\n`)}${service('matching')}${service('history')}${service('worker')}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: ${yamlString(`127.0.0.1:${ports.frontend.grpc}`)}
dcRedirectionPolicy:
  policy: noop
dynamicConfigClient:
  filepath: ${yamlString(path.join(configDir, 'dynamicconfig.yaml'))}
  pollInterval: 10s
`;
  fs.writeFileSync(path.join(configDir, 'base.yaml'), base);
  for (const name of SERVICES) {
    fs.writeFileSync(
      path.join(configDir, `${name}.yaml`),
      `# The ${name} process: its own metrics port (Prometheus).\nglobal:\n  metrics:\n    prometheus:\n      framework: tally\n      timerType: histogram\n      listenAddress: ${yamlString(`127.0.0.1:${ports[name].metrics}`)}\n`,
    );
  }
  // What the service needs of the server beyond its defaults: workflow Updates (every command is one).
  fs.writeFileSync(
    path.join(configDir, 'dynamicconfig.yaml'),
    ['frontend.enableUpdateWorkflowExecution:', '  - value: true', 'frontend.enableUpdateWorkflowExecutionAsyncAccepted:', '  - value: true', ''].join('\n'),
  );
};

/** One Temporal service process; `stop()` ends it (SIGTERM, then SIGKILL after 15 s), `kill()` at once. */
const startService = ({ server, configDir, service, logFile }) => {
  const out = fs.openSync(logFile, 'a');
  const child = spawn(server, ['--root', '/', '--config', configDir, '--env', service, '--allow-no-auth', 'start', '--service', service], {
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const stop = (signal = 'SIGTERM') =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
      void exited.then(() => {
        clearTimeout(timer);
        resolve();
      });
      child.kill(signal);
    });
  return { service, child, pid: child.pid, exited, stop, kill: () => stop('SIGKILL') };
};

/** Registers the namespace (retention 30 days [I]) and the service's search attributes, if missing; waits until both are usable. */
const ensureNamespace = async ({ address, namespace, log, timeoutMs = 90000 }) => {
  const { Connection } = require('@temporalio/client');
  const connection = await Connection.connect({ address });
  const deadline = Date.now() + timeoutMs;
  const retry = async (what, fn) => {
    for (;;) {
      try {
        return await fn();
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`${what}: ${error.message}`);
        await sleep(500);
      }
    }
  };
  try {
    await retry('registering the namespace', async () => {
      try {
        await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: { seconds: 30 * 24 * 3600 } });
        log(`namespace ${namespace} registered`);
      } catch (error) {
        if (error.code !== 6 /* ALREADY_EXISTS */) throw error;
      }
    });
    // The frontend learns of a new namespace from its cache, refreshed every few seconds.
    await retry('waiting for the namespace', () => connection.workflowService.describeNamespace({ namespace }));
    // temporal.api.enums.v1.IndexedValueType, for the types the service uses.
    const types = { Keyword: 2, Datetime: 6 };
    await retry('adding the search attributes', async () => {
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
      const missing = Object.entries(SEARCH_ATTRIBUTES).filter(([name]) => !(name in (customAttributes ?? {})));
      if (missing.length === 0) return;
      await connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(
          missing.map(([name, type]) => {
            if (!(type in types)) throw new Error(`search attribute type ${type} is not mapped here`);
            return [name, types[type]];
          }),
        ),
      });
      log(`search attributes added: ${missing.map(([name]) => name).join(', ')}`);
      throw new Error('not visible yet'); // loop once more, until listed
    });
  } finally {
    await connection.close();
  }
};

/**
 * Waits until history and matching answer through the frontend, not only the frontend itself: a
 * workflow that does not exist is looked up in history (NOT_FOUND is its answer), a task queue in matching.
 */
const waitForServices = async ({ address, namespace, timeoutMs = 90000 }) => {
  const { Connection } = require('@temporalio/client');
  await waitForTemporal(address, timeoutMs);
  const deadline = Date.now() + timeoutMs;
  const connection = await Connection.connect({ address });
  try {
    for (;;) {
      try {
        await connection.workflowService
          .describeWorkflowExecution({ namespace, execution: { workflowId: `cluster-probe-${process.pid}-${Date.now()}` } })
          .catch((error) => {
            if (error.code !== 5 /* NOT_FOUND: history answered */) throw error;
          });
        await connection.workflowService.describeTaskQueue({ namespace, taskQueue: { name: 'cluster-probe' }, taskQueueType: 1 });
        return;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`Temporal's history or matching service did not answer within ${timeoutMs / 1000} s: ${error.message}`);
        await sleep(300);
      }
    }
  } finally {
    await connection.close();
  }
};

/** Waits until the Temporal database holds the cluster's metadata record (written by the first service to start). */
const waitForClusterMetadata = async (temporalDbUrl, timeoutMs = 60000) => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const db = new Client({ connectionString: temporalDbUrl });
    try {
      await db.connect();
      const { rowCount } = await db.query('SELECT 1 FROM cluster_metadata_info LIMIT 1');
      if (rowCount > 0) return;
    } catch {
      /* not yet */
    } finally {
      await db.end().catch(() => undefined);
    }
    if (Date.now() > deadline) throw new Error(`the Temporal cluster metadata was not written within ${timeoutMs / 1000} s`);
    await sleep(200);
  }
};

/**
 * Starts the four Temporal services as separate processes against our PostgreSQL and resolves once
 * the frontend serves the namespace with the search attributes. `restart(service)` and `restartAll()`
 * replace processes on the same ports and schema (what the cluster tests exercise).
 */
const startTemporalCluster = async ({ binaries, pg, adminUrl, dir, ports, namespace = 'default', numHistoryShards = 4, maxConns = 10, log }) => {
  const configDir = path.join(dir, 'config');
  const logDir = path.join(dir, 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  await ensureTemporalSchemas({ sqlTool: binaries.sqlTool, schemaDir: binaries.schemaDir, host: pg.host, port: pg.port, adminUrl, user: pg.user, log });
  ports = ports ?? (await allocatePorts());
  for (const service of SERVICES) {
    for (const [kind, port] of Object.entries(ports[service])) {
      if (await isListening(port)) throw new Error(`port ${port} (${service} ${kind}) is taken; free it or let the ports be chosen again`);
    }
  }
  writeConfig({ configDir, ports, pg, numHistoryShards, maxConns });
  const address = `127.0.0.1:${ports.frontend.grpc}`;
  const processes = {};
  const launch = (service) => {
    processes[service] = startService({ server: binaries.server, configDir, service, logFile: path.join(logDir, `${service}.log`) });
    return processes[service];
  };
  const ready = async () => {
    await waitForTemporal(address, 90000);
    await ensureNamespace({ address, namespace, log });
    await waitForServices({ address, namespace });
  };
  const exitedEarly = (service) =>
    processes[service].exited.then(({ code, signal }) => {
      throw new Error(`Temporal ${service} exited during start-up (${signal ?? code}); see ${path.join(logDir, `${service}.log`)}`);
    });
  /**
   * History first, the others once the cluster's metadata record exists: on a new schema every process
   * writes that record at start, and two writing it at once conflict (the loser exits).
   */
  const launchAll = async () => {
    const [first, ...rest] = SERVICES;
    launch(first);
    await Promise.race([waitForClusterMetadata(adminUrl.replace(/\/[^/]*$/, `/${DATABASES.temporal}`)), exitedEarly(first)]);
    for (const service of rest) launch(service);
    await Promise.race([ready(), ...SERVICES.map(exitedEarly)]);
  };
  const started = Date.now();
  try {
    await launchAll();
  } catch (error) {
    await Promise.all(Object.values(processes).map((service) => service.kill()));
    throw error;
  }
  log(`Temporal cluster (${SERVICES.join(', ')}) ready on ${address} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const stopAll = async () => {
    // The reverse of the start order: nothing new reaches history while it drains.
    for (const service of [...SERVICES].reverse()) await processes[service].stop();
  };
  return {
    address,
    namespace,
    ports,
    configDir,
    logDir,
    processes,
    /** Stops one service (SIGTERM, or SIGKILL with `{ kill: true }`) and starts it again on the same ports. */
    restart: async (service, { kill = false, downMs = 0 } = {}) => {
      await (kill ? processes[service].kill() : processes[service].stop());
      if (downMs > 0) await sleep(downMs);
      launch(service);
      await waitForServices({ address, namespace });
    },
    /** Stops every service, then starts them all again on the same ports and schema. */
    restartAll: async ({ downMs = 0 } = {}) => {
      await stopAll();
      if (downMs > 0) await sleep(downMs);
      await launchAll();
    },
    stop: stopAll,
  };
};

module.exports = { SERVER_VERSION, SERVICES, DATABASES, findTemporalServer, ensureTemporalSchemas, allocatePorts, startTemporalCluster, cacheDir };
