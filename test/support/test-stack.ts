import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import type { DataSource } from 'typeorm';
import { Client as PgClient } from 'pg';
import { loadConfig, type AppConfig } from '@care/config';
import { AesGcmPayloadCodec, loadPayloadKeyring, SecretBox, temporalDataConverter } from '@care/crypto';
import { createDataSource, EventStore, NotificationOutbox, runMigrations } from '@care/event-store';
import { createApp } from '../../apps/api/src/create-app';
import { IntegrationsStore, parseAllowedNetworks } from '@care/webhooks';
import { createCourseActivities } from '../../apps/worker/src/activities/course.activities';
import { createWebhookActivities } from '../../apps/worker/src/webhooks/webhook-delivery.activities';
import { WebhookRelay } from '../../apps/worker/src/webhooks/webhook-relay';
import { createCourseWorker } from '../../apps/worker/src/create-worker';
import { bundleCourseWorkflows } from '../../apps/worker/src/workflow-bundle';
import { createTestSigner, type TokenClaims } from './dev-keys';

export type TestStack = {
  baseUrl: string;
  /** The API application itself (in this process), e.g. to reach its providers. */
  app: INestApplication;
  config: AppConfig;
  db: DataSource;
  token: (claims: Partial<TokenClaims>) => Promise<string>;
  signer: Awaited<ReturnType<typeof createTestSigner>>;
  stopWorker: () => Promise<void>;
  startWorker: () => Promise<void>;
  stop: () => Promise<void>;
};

let bundle: Promise<{ code: string }> | null = null;

// Keep the Temporal runtime's logs to warnings so the test summary stays readable. Installed once per process.
try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  /* already installed by another test file in this worker */
}

/**
 * The real stack for one test file: migrations on the suite's PostgreSQL, a worker on a task queue of
 * its own on the suite's Temporal dev server, and the API listening on a free port.
 */
export const startTestStack = async (
  options: {
    env?: Record<string, string>;
    /**
     * Run the webhook relay (events -> deliveries -> workflows). Its checkpoint is shared by the whole
     * database, so only one suite at a time may run it (the webhook suite).
     */
    webhookRelay?: boolean;
    /**
     * A database of the suite's own in the suite's PostgreSQL cluster (created if missing), e.g. for a
     * suite that runs the webhook relay beside the webhook suite.
     */
    database?: string;
    /** The console's local sign-in (the embedded default): the API gets the private half of the test key. */
    localSignIn?: boolean;
  } = {},
): Promise<TestStack> => {
  const workDir = process.env['CARE_TEST_WORK_DIR'] ?? path.join(process.cwd(), 'tmp');
  const keysDir = path.join(workDir, `keys-${randomUUID()}`);
  const issuer = 'care-test-issuer';
  const audience = 'care-test-audience';
  const signer = await createTestSigner(keysDir, issuer, audience);
  const databaseUrl = options.database ? await ensureDatabase(process.env['DATABASE_URL']!, options.database) : process.env['DATABASE_URL']!;
  const config = loadConfig({
    ...process.env,
    DATABASE_URL: databaseUrl,
    ...(options.localSignIn ? { AUTH_LOCAL_SIGN_IN_KEY_FILE: signer.privateKeyFile } : {}),
    PORT: '0',
    TEMPORAL_TASK_QUEUE: `test-${randomUUID()}`,
    AUTH_PUBLIC_KEY_FILE: signer.publicKeyFile,
    AUTH_ISSUER: issuer,
    AUTH_AUDIENCE: audience,
    LOG_LEVEL: 'error',
    // Suites fire many requests from one address; the rate-limit test sets its own value.
    RATE_LIMIT_PER_MINUTE: '100000',
    // Payload encryption keys of this stack only (generated, owner-readable) for the API and the worker.
    PAYLOAD_CODEC_KEYS_FILE: path.join(keysDir, 'payload-codec.json'),
    ...options.env,
  });
  const codec = new AesGcmPayloadCodec(loadPayloadKeyring(config.payloadCodec.keysFile, true));

  const db = await createDataSource(config.database.url, 5).initialize();
  await runMigrations(db);

  bundle ??= bundleCourseWorkflows();
  const workflowBundle = await bundle;
  let worker: Worker | null = null;
  let running: Promise<void> | null = null;
  let connection: NativeConnection | null = null;
  let relayTimer: NodeJS.Timeout | null = null;
  let relayRound: Promise<unknown> = Promise.resolve();
  const box = SecretBox.fromKeyFile(config.payloadCodec);
  const startWorker = async () => {
    connection = await NativeConnection.connect({ address: config.temporal.address });
    worker = await createCourseWorker({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      activities: {
        ...createCourseActivities({ eventStore: new EventStore(db), outbox: new NotificationOutbox(db) }),
        ...createWebhookActivities({
          store: new IntegrationsStore(db, box),
          allowedNetworks: parseAllowedNetworks(config.webhooks.allowedNetworks),
          ...(config.webhooks.retryScheduleSeconds ? { scheduleSeconds: config.webhooks.retryScheduleSeconds } : {}),
          timeoutMs: config.webhooks.timeoutMs,
          disableAfterMs: config.webhooks.disableAfterHours * 3_600_000,
        }),
      },
      workflowBundle,
      dataConverter: temporalDataConverter(codec),
    });
    running = worker.run();
    if (options.webhookRelay) {
      const relay = new WebhookRelay({
        db,
        box,
        client: new Client({ connection, namespace: config.temporal.namespace, dataConverter: temporalDataConverter(codec) }),
        taskQueue: config.temporal.taskQueue,
        ...(config.webhooks.retryScheduleSeconds ? { scheduleSeconds: config.webhooks.retryScheduleSeconds } : {}),
        attemptTimeoutMs: config.webhooks.timeoutMs,
      });
      const tick = () => {
        relayRound = relay
          .runOnce()
          .catch(() => undefined)
          .finally(() => {
            if (relayTimer) relayTimer = setTimeout(tick, 200);
          });
      };
      relayTimer = setTimeout(tick, 0);
    }
  };
  const stopWorker = async () => {
    if (relayTimer) clearTimeout(relayTimer);
    relayTimer = null;
    await relayRound;
    if (worker && worker.getState() === 'RUNNING') worker.shutdown();
    await running;
    // Idempotent: a suite may stop the worker itself and then the whole stack.
    const open = connection;
    connection = null;
    await open?.close();
    worker = null;
  };
  await startWorker();

  const app: INestApplication = await createApp(config);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };

  return {
    baseUrl: `http://127.0.0.1:${address.port}`,
    app,
    config,
    db,
    signer,
    token: (claims) =>
      signer.sign({ sub: 'u-coord-1', name: 'Casey Coordinator', role: 'coordinator', site: 'site-a', ...claims } as TokenClaims),
    startWorker,
    stopWorker,
    stop: async () => {
      await app.close();
      await stopWorker();
      await db.destroy();
    },
  };
};

/** The URL of database `name` in the cluster of `url`, created on first use. */
const ensureDatabase = async (url: string, name: string): Promise<string> => {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`not a database name: ${name}`);
  const client = new PgClient({ connectionString: url });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const target = new URL(url);
  target.pathname = `/${name}`;
  return target.toString();
};

/** A small fetch wrapper: JSON in, status and JSON out. */
export const http = async (
  baseUrl: string,
  method: string,
  route: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string>; rawBody?: string } = {},
): Promise<{ status: number; body: any; headers: Headers }> => {
  const response = await fetch(`${baseUrl}${route}`, {
    method,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.body !== undefined || options.rawBody !== undefined ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    },
    body: options.rawBody ?? (options.body !== undefined ? JSON.stringify(options.body) : undefined),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON: keep the text */
  }
  return { status: response.status, body, headers: response.headers };
};
