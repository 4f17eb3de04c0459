'use strict';
/**
 * The production topology on one machine, without Docker: PostgreSQL (our own cluster), the Temporal
 * server on it as four separate processes (frontend, history, matching, internal worker), and several
 * course workers and API instances, all on loopback. Used by `npm run start:cluster`, `npm run
 * test:cluster` and `bench:commands --cluster`. Built on the fault suite's Stack (PostgreSQL control,
 * process groups, logs), so the same faults can be injected here.
 */
const path = require('node:path');
const { ROOT } = require('./setup');
const { Stack, waitUntil } = require('./faults/stack');
const { findTemporalServer, startTemporalCluster, allocatePorts } = require('./temporal-server');
const { freePort, sleep } = require('./ports');

const isReady = async (url) => {
  try {
    return (await fetch(`${url}/health/ready`, { signal: globalThis.AbortSignal.timeout(2000) })).status === 200;
  } catch {
    return false;
  }
};

class ClusterStack extends Stack {
  /**
   * @param {{ work: string, ports: { pg: number, apis: number[], workers: number }, temporalPorts?: object, log: (m: string) => void, numHistoryShards?: number }} options
   * `ports.workers` is how many course workers; each gets free metrics ports.
   */
  constructor({ work, ports, temporalPorts, log, numHistoryShards = 4 }) {
    super({ work, ports: { pg: ports.pg, temporal: 0, api: ports.apis[0] }, log });
    this.apiPorts = ports.apis;
    this.workerCount = ports.workers;
    this.temporalPorts = temporalPorts ?? null;
    this.numHistoryShards = numHistoryShards;
    this.cluster = null;
    this.binaries = null;
    this.temporalDir = path.join(this.dataDir, 'temporal-cluster');
    this.children = {};
  }

  get apiUrls() {
    return this.apiPorts.map((port) => `http://127.0.0.1:${port}`);
  }

  get apiNames() {
    return this.apiPorts.map((_, i) => `api-${i + 1}`);
  }

  get workerNames() {
    return Array.from({ length: this.workerCount }, (_, i) => `worker-${i + 1}`);
  }

  get temporalAddress() {
    return this.cluster ? this.cluster.address : `127.0.0.1:${this.temporalPorts?.frontend.grpc}`;
  }

  /** Builds or finds the server (cached), sets up the schemas and starts the four services. */
  async startTemporal() {
    if (!this.binaries) this.binaries = findTemporalServer({ log: this.log });
    this.temporalPorts = this.temporalPorts ?? (await allocatePorts());
    this.cluster = await startTemporalCluster({
      binaries: this.binaries,
      pg: { host: '127.0.0.1', port: this.ports.pg, user: 'temporal' },
      adminUrl: `postgres://postgres@127.0.0.1:${this.ports.pg}/postgres`,
      dir: this.temporalDir,
      ports: this.temporalPorts,
      numHistoryShards: this.numHistoryShards,
      log: this.log,
    });
  }

  async stopTemporal() {
    if (this.cluster) await this.cluster.stop();
  }

  /**
   * The environment of instance `i` of the API or the worker: the shared settings plus its own ports.
   * The workers' metrics ports are chosen once per stack, so a restarted worker keeps them.
   */
  async instanceEnv(base, kind, i) {
    this.metricsPorts = this.metricsPorts ?? {};
    const key = `${kind}-${i}`;
    if (!this.metricsPorts[key]) this.metricsPorts[key] = [await freePort(), await freePort()];
    const [metrics, runtime] = this.metricsPorts[key];
    return kind === 'api'
      ? { ...base, PORT: String(this.apiPorts[i]), METRICS_PORT: String(metrics) }
      : { ...base, WORKER_METRICS_PORT: String(metrics), WORKER_TEMPORAL_METRICS_PORT: String(runtime) };
  }

  env(extra) {
    return { ...super.env(extra), TEMPORAL_ADDRESS: this.temporalAddress };
  }

  async startWorkerInstance(i, base) {
    return this.spawnNode(this.workerNames[i], 'dist/apps/worker/src/main.js', await this.instanceEnv(base, 'worker', i));
  }

  async startApiInstance(i, base) {
    return this.spawnNode(this.apiNames[i], 'dist/apps/api/src/main.js', await this.instanceEnv(base, 'api', i));
  }

  /** Resolves once the worker says it polls its task queue (its metrics endpoint: care_worker_polling 1). */
  async waitForWorker(name, timeoutMs = 120000) {
    const i = this.workerNames.indexOf(name);
    const port = this.metricsPorts?.[`worker-${i}`]?.[0];
    await waitUntil(
      `${name} to poll its task queue`,
      async () => {
        if (!this.children[name]) throw new Error(`${name} exited during start-up:\n${this.tail(name)}`);
        try {
          const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: globalThis.AbortSignal.timeout(2000) });
          return /^care_worker_polling 1$/m.test(await res.text());
        } catch {
          return false;
        }
      },
      timeoutMs,
      250,
    ).catch((error) => {
      throw new Error(`${error.message}\n${this.tail(name)}`);
    });
  }

  async waitForApi(i, timeoutMs = 120000) {
    const name = this.apiNames[i];
    await waitUntil(
      `${name} to be ready`,
      async () => {
        if (!this.children[name]) throw new Error(`${name} exited during start-up:\n${this.tail(name)}`);
        return isReady(this.apiUrls[i]);
      },
      timeoutMs,
      300,
    );
  }

  /**
   * The first worker starts alone: in the embedded default it creates the payload and ledger keys in the
   * data folder, which every other instance must then share. The others start together after it.
   */
  async startApplication(base) {
    await this.startWorkerInstance(0, base);
    await this.waitForWorker(this.workerNames[0]);
    for (let i = 1; i < this.workerCount; i++) await this.startWorkerInstance(i, base);
    for (let i = 0; i < this.apiPorts.length; i++) await this.startApiInstance(i, base);
    for (let i = 1; i < this.workerCount; i++) await this.waitForWorker(this.workerNames[i]);
    for (let i = 0; i < this.apiPorts.length; i++) await this.waitForApi(i);
  }

  /** Stops one instance gracefully (SIGTERM: the API drains, the worker finishes its tasks). */
  async stopGracefully(name, timeoutMs = 30000) {
    const child = this.children[name];
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(timeoutMs)]);
    if (child.exitCode === null && child.signalCode === null) await this.kill(name);
  }

  /** The four Temporal services' processes (the newest of each, after restarts). */
  temporalPids() {
    return Object.values(this.cluster?.processes ?? {}).map((service) => service.pid).filter(Boolean);
  }
}

module.exports = { ClusterStack, isReady, ROOT };
