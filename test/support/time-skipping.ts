import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as net from 'node:net';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type { DataSource } from 'typeorm';
import * as nodePath from 'node:path';
import type { DataConverter } from '@temporalio/common';
import { createPayloadCodec, temporalDataConverter } from '@care/crypto';
import { createDataSource, EventStore, NotificationOutbox, runMigrations } from '@care/event-store';
import { CourseDriver } from './course-driver';
import { freePort } from './free-port';
import { createCourseActivities } from '../../apps/worker/src/activities/course.activities';
import { bundleCourseWorkflows } from '../../apps/worker/src/workflow-bundle';
import { workflowSinks } from '../../apps/worker/src/create-worker';

try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  /* installed by another file in this worker */
}

export type TimeSkippingStack = {
  env: TestWorkflowEnvironment;
  /** Runs `fn` while the suite's worker polls; any worker failure fails `fn`. */
  withWorker: <T>(fn: () => Promise<T>) => Promise<T>;
  taskQueue: string;
  db: DataSource;
  /** The service's data converter (encrypted payloads); its key file is `payloadKeysFile`. */
  dataConverter: DataConverter;
  payloadKeysFile: string;
  /** A course driver on this server, using the suite's worker and data converter. */
  driver: (courseId: string, options?: { continueAsNewAfterEvents?: number }) => CourseDriver;
  stop: () => Promise<void>;
};

/**
 * Temporal's time-skipping test server (the Java build, provisioned by global-setup) with a course
 * worker whose activities write to the suite's real PostgreSQL. Timers of days and weeks fire at once
 * whenever the workflow is only waiting on time.
 */
export const startTimeSkipping = async (options: { encryptPayloads?: boolean } = {}): Promise<TimeSkippingStack> => {
  const path = process.env['TEMPORAL_TEST_SERVER'];
  if (!path) throw new Error('TEMPORAL_TEST_SERVER is not set: run through the system Jest project (global-setup)');
  const server = await startTestServer(path);
  const env = await connectTimeSkipping(server.address).catch(async (error: unknown) => {
    await server.stop();
    throw error;
  });
  // The test server validates search attributes against a fixed list; add the course's own.
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: { CourseStatus: 2, CoursePhase: 2, CourseSite: 2, CourseNextDueAt: 6, CourseRecord: 2 },
  });
  const db = await createDataSource(process.env['DATABASE_URL']!, 5).initialize();
  await runMigrations(db);
  const taskQueue = `ts-${randomUUID()}`;
  const workflowBundle = await bundleCourseWorkflows();
  // Payloads are encrypted as in production, with a key generated for this suite.
  const payloadKeysFile = nodePath.join(process.env['CARE_TEST_WORK_DIR'] ?? '/tmp', `ts-keys-${taskQueue}`, 'payload-codec.json');
  // Saved replay histories are captured without encryption (their keys would have to be committed).
  const dataConverter: DataConverter =
    options.encryptPayloads === false ? {} : temporalDataConverter(createPayloadCodec({ keysFile: payloadKeysFile, generateKeys: true }));
  const newWorker = () =>
    Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle,
      dataConverter,
      sinks: workflowSinks(),
      activities: createCourseActivities({ eventStore: new EventStore(db), outbox: new NotificationOutbox(db) }),
    });
  // One worker for the whole suite: on this server the clock waits for outstanding workflow tasks, so
  // every course of the suite must stay served while any test skips time.
  const worker = await newWorker();
  let failure: unknown = null;
  const running = worker.run().catch((error: unknown) => {
    failure = error;
  });
  return {
    env,
    withWorker: async (fn) => {
      const result = await fn();
      if (failure) throw failure;
      return result;
    },
    taskQueue,
    db,
    dataConverter,
    payloadKeysFile,
    driver: (courseId, options = {}) => new CourseDriver(env, taskQueue, courseId, { ...options, dataConverter }),
    stop: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await env.teardown();
      await server.stop();
      await db.destroy();
    },
  };
};

/** How long the JVM may take to listen: under a full suite on 2 cores it has taken more than the SDK's fixed 5 s. */
const TEST_SERVER_READY_MS = 60_000;

type TestServerProcess = { address: string; stop: () => Promise<void> };

/**
 * Starts the Java test server itself rather than through `createTimeSkipping`, whose readiness window
 * is a fixed 5 s that a loaded machine exceeds (seen in CI). No --enable-time-skipping: that starts the
 * clock unlocked, and an idle course would race to its run timeout. Locked, time moves only when a
 * test sleeps (unlockTimeSkippingWithSleep).
 */
const startTestServer = async (executable: string): Promise<TestServerProcess> => {
  const port = await freePort();
  const child = spawn(executable, [String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + TEST_SERVER_READY_MS;
  while (!(await canConnect(port))) {
    if (child.exitCode !== null) throw new Error(`the time-skipping test server exited (${child.exitCode}) before listening: ${stderr}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the time-skipping test server did not listen on 127.0.0.1:${port} within ${TEST_SERVER_READY_MS} ms: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { address: `127.0.0.1:${port}`, stop };
};

/**
 * An environment with the test service (time skipping) on a server this file started. The SDK's public
 * `createFromExistingServer` always turns the test service off, so this calls the factory it uses with
 * the flag on (the same path `createTimeSkipping` takes once its own server is up).
 */
const connectTimeSkipping = (address: string): Promise<TestWorkflowEnvironment> => {
  const factory = TestWorkflowEnvironment as unknown as {
    create: (options: { server: { type: 'existing' }; supportsTimeSkipping: true; address: string; namespace: string }) => Promise<TestWorkflowEnvironment>;
  };
  return factory.create({ server: { type: 'existing' }, supportsTimeSkipping: true, address, namespace: 'default' });
};

const canConnect = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

