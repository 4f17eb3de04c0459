'use strict';
/**
 * Finds or builds the Temporal CLI and runs its dev server. These machines cannot download Temporal's
 * binaries at run time, so the CLI is built from its Go module once and cached outside the clone.
 * Lookup order: TEMPORAL_CLI, `temporal` on PATH, the cached build, `go install`, then (no Go, but
 * internet) the SDK's own download.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { isListening, sleep } = require('./ports');

const CLI_VERSION = 'v1.5.1'; // newest tag without a `replace` directive, so `go install pkg@version` accepts it
const SEARCH_ATTRIBUTES = require('../../../libs/contracts/src/search-attributes.json');

const cacheDir = () =>
  path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'mdma-care-backbone', `temporal-cli-${CLI_VERSION}`);

const which = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim() || null;

const works = (bin) => spawnSync(bin, ['--version'], { encoding: 'utf8' }).status === 0;

/**
 * @returns {{type: 'existing-path', path: string} | {type: 'sdk-download'}}
 */
const findTemporalCli = ({ log }) => {
  if (process.env.TEMPORAL_CLI) {
    if (!works(process.env.TEMPORAL_CLI)) throw new Error(`TEMPORAL_CLI=${process.env.TEMPORAL_CLI} is not a working temporal binary`);
    return { type: 'existing-path', path: process.env.TEMPORAL_CLI };
  }
  const onPath = which('temporal');
  if (onPath && works(onPath)) return { type: 'existing-path', path: onPath };

  const cached = path.join(cacheDir(), 'bin', 'temporal');
  if (fs.existsSync(cached) && works(cached)) return { type: 'existing-path', path: cached };

  const go = which('go');
  if (go) {
    log(`building the Temporal CLI ${CLI_VERSION} from source into ${path.dirname(cached)}`);
    log('this happens once per machine and takes several minutes; later runs reuse the build');
    const started = Date.now();
    const result = spawnSync(
      go,
      ['install', '-ldflags=-s -w', `github.com/temporalio/cli/cmd/temporal@${CLI_VERSION}`],
      { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, CGO_ENABLED: '0', GOBIN: path.dirname(cached) } },
    );
    if (result.status !== 0 || !works(cached)) {
      throw new Error(`go install of the Temporal CLI failed (exit ${result.status}); see the output above`);
    }
    log(`Temporal CLI built in ${Math.round((Date.now() - started) / 1000)} s`);
    return { type: 'existing-path', path: cached };
  }
  log('no Temporal CLI and no Go toolchain: falling back to the Temporal SDK download (needs internet)');
  return { type: 'sdk-download' };
};

const devServerArgs = ({ port, uiPort, dbFile, namespace = 'default' }) => {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--namespace', namespace];
  args.push('--log-format', 'pretty', '--log-level', 'warn');
  args.push('--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true');
  args.push('--dynamic-config-value', 'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true');
  if (uiPort) args.push('--ui-port', String(uiPort));
  else args.push('--headless');
  if (dbFile) args.push('--db-filename', dbFile);
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${type}`);
  return args;
};

/** Waits until the frontend answers a health check, not merely until the port is open. */
const waitForTemporal = async (address, timeoutMs) => {
  const { Connection } = require('@temporalio/client');
  const deadline = Date.now() + timeoutMs;
  const [host, port] = address.split(':');
  while (!(await isListening(Number(port), host))) {
    if (Date.now() > deadline) throw new Error(`Temporal did not open ${address} within ${timeoutMs / 1000} s`);
    await sleep(200);
  }
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(300);
    }
  }
};

/**
 * Starts `temporal server start-dev` and resolves once it is ready.
 * @returns {Promise<{address: string, uiUrl: string | null, stop: () => Promise<void>}>}
 */
const startDevServer = async ({ cli, port, uiPort, dbFile, log, logFile }) => {
  if (cli.type === 'sdk-download') {
    const { TestWorkflowEnvironment } = require('@temporalio/testing');
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        ip: '127.0.0.1',
        port,
        ...(uiPort ? { ui: true, uiPort } : {}),
        ...(dbFile ? { dbFilename: dbFile } : {}),
        extraArgs: Object.entries(SEARCH_ATTRIBUTES).flatMap(([n, t]) => ['--search-attribute', `${n}=${t}`]),
      },
    });
    return { address: `127.0.0.1:${port}`, uiUrl: uiPort ? `http://127.0.0.1:${uiPort}` : null, stop: () => env.teardown() };
  }
  const address = `127.0.0.1:${port}`;
  const out = logFile ? fs.openSync(logFile, 'a') : 'ignore';
  const child = spawn(cli.path, devServerArgs({ port, uiPort, dbFile }), { stdio: ['ignore', out, out], detached: false });
  let exited = null;
  child.once('exit', (code, signal) => {
    exited = { code, signal };
  });
  const started = Date.now();
  try {
    await Promise.race([
      waitForTemporal(address, 60000),
      (async () => {
        while (!exited) await sleep(100);
        const error = new Error(`temporal server start-dev exited early (${JSON.stringify(exited)})${logFile ? `; see ${logFile}` : ''}`);
        // One of the ports the server derives from --port (its HTTP API, port + 1000) was taken: the caller may pick others.
        const logText = logFile && fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').slice(-20000) : '';
        throw Object.assign(error, { portInUse: /bind: address already in use/.test(logText) });
      })(),
    ]);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  log(`Temporal dev server ready on ${address} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const stop = () =>
    new Promise((resolve) => {
      if (exited) return resolve();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  return { address, uiUrl: uiPort ? `http://127.0.0.1:${uiPort}` : null, stop, pid: child.pid };
};

module.exports = { findTemporalCli, startDevServer, waitForTemporal, SEARCH_ATTRIBUTES, CLI_VERSION, cacheDir };
