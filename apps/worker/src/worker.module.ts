import { getHeapStatistics } from 'node:v8';
import { Inject, Injectable, Logger, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { loadConfig, type AppConfig } from '@care/config';
import { createPayloadCodec, SecretBox, temporalDataConverter } from '@care/crypto';
import { createDataSource, EventStore, NotificationOutbox, runMigrations } from '@care/event-store';
import type { DataSource } from 'typeorm';
import { createCourseActivities } from './activities/course.activities';
import { createCourseWorker } from './create-worker';
import { createWebhookActivities } from './webhooks/webhook-delivery.activities';
import { IntegrationsStore, parseAllowedNetworks } from '@care/webhooks';
import { WorkerMetrics } from './metrics/worker-metrics';
import { RecordKeepingDatabase } from './record-keeping.database';
import { RecordKeepingModule } from './record-keeping.module';
import { loadCourseWorkflows } from './workflow-bundle';

export const APP_CONFIG = Symbol('APP_CONFIG');
export const DATA_SOURCE = Symbol('DATA_SOURCE');

/**
 * Measured (`npm run bench:open-courses`, README: Sizing the worker): live heap of one cached course run
 * (2.2-2.9 MB) and of the workflow thread without any; below 1.5 times that, GC takes the workflow thread.
 */
const MB_PER_CACHED_RUN = 3;
const WORKFLOW_THREAD_BASE_MB = 40;
const HEAP_HEADROOM = 1.5;

/** Runs the Temporal worker for the lifetime of the Nest application context. */
@Injectable()
export class CourseWorkerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('CourseWorker');
  private worker: Worker | null = null;
  private connection: NativeConnection | null = null;
  private running: Promise<void> | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(EventStore) private readonly eventStore: EventStore,
    @Inject(NotificationOutbox) private readonly outbox: NotificationOutbox,
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(WorkerMetrics) private readonly metrics: WorkerMetrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.connection = await NativeConnection.connect({ address: this.config.temporal.address });
    this.worker = await createCourseWorker({
      connection: this.connection,
      namespace: this.config.temporal.namespace,
      taskQueue: this.config.temporal.taskQueue,
      activities: {
        ...createCourseActivities({
          eventStore: this.eventStore,
          outbox: this.outbox,
          observeAppend: (seconds, outcome) => this.metrics.appendDuration.observe({ outcome }, seconds),
        }),
        ...createWebhookActivities({
          store: new IntegrationsStore(this.dataSource, SecretBox.fromKeyFile(this.config.payloadCodec)),
          allowedNetworks: parseAllowedNetworks(this.config.webhooks.allowedNetworks),
          ...(this.config.webhooks.retryScheduleSeconds ? { scheduleSeconds: this.config.webhooks.retryScheduleSeconds } : {}),
          timeoutMs: this.config.webhooks.timeoutMs,
          disableAfterMs: this.config.webhooks.disableAfterHours * 3_600_000,
          countAttempt: (outcome) => this.metrics.deliveryAttempts.inc({ outcome }),
        }),
      },
      workflowBundle: await loadCourseWorkflows(),
      // Payloads and failure messages leave the worker encrypted (no clinical value in Temporal's history).
      dataConverter: temporalDataConverter(createPayloadCodec(this.config.payloadCodec)),
      // Memory bounded by the cache, not by the number of open courses (README: Sizing the worker).
      limits: this.config.worker,
    });
    const worker = this.worker;
    this.metrics.reportPollingFrom(() => worker.getState() === 'RUNNING');
    this.running = this.worker.run();
    this.running.catch((error: unknown) => {
      this.logger.error(`worker stopped: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    });
    this.logger.log(`polling task queue "${this.config.temporal.taskQueue}" on ${this.config.temporal.address}`);
    this.checkHeapLimit();
  }

  /** WORKER_MAX_HEAP_MB only works if whoever started this process passed it to node: say so when it did not. */
  private checkHeapLimit(): void {
    const { maxHeapMb, maxCachedWorkflows } = this.config.worker;
    // heap_size_limit is the old space plus the young generation (tens of MB).
    const limitMb = Math.round(getHeapStatistics().heap_size_limit / 1_048_576);
    if (limitMb < maxHeapMb || limitMb > maxHeapMb + 128) {
      this.logger.warn(`heap limit is ${limitMb} MB, not WORKER_MAX_HEAP_MB=${maxHeapMb}: start the worker with node --max-old-space-size=${maxHeapMb}`);
    } else {
      this.logger.log(`heap limit ${limitMb} MB, workflow cache ${maxCachedWorkflows} runs`);
    }
    // The cached runs live in the workflow thread's heap, which has the same limit: a cache that does not
    // fit ends in "JS heap out of memory" of that thread, a worker restart and the same again.
    const neededMb = Math.ceil(HEAP_HEADROOM * (WORKFLOW_THREAD_BASE_MB + maxCachedWorkflows * MB_PER_CACHED_RUN));
    if (maxHeapMb < neededMb) {
      this.logger.warn(
        `WORKER_MAX_HEAP_MB=${maxHeapMb} is likely too small for WORKER_MAX_CACHED_WORKFLOWS=${maxCachedWorkflows}: ` +
          `a cached course takes about ${MB_PER_CACHED_RUN} MB of heap, so allow at least ${neededMb} MB or cache fewer (README: Sizing the worker)`,
      );
    }
  }

  /** Resolves when the worker stops polling (after shutdown, or on a fatal error). */
  async untilStopped(): Promise<void> {
    await this.running;
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.worker && this.worker.getState() === 'RUNNING') this.worker.shutdown();
    await this.running?.catch(() => undefined);
    await this.connection?.close();
  }
}

@Module({
  imports: [RecordKeepingModule],
  providers: [
    { provide: APP_CONFIG, useFactory: () => loadConfig() },
    {
      provide: DATA_SOURCE,
      inject: [APP_CONFIG],
      useFactory: async (config: AppConfig): Promise<DataSource> => {
        if (process.env['RUN_MIGRATIONS'] !== 'false') {
          // Migrations run as the schema owner; everything after as the restricted role (README: Roles in the database).
          const owner = await createDataSource(config.database.migrationUrl, 1).initialize();
          await runMigrations(owner).finally(() => owner.destroy());
        }
        return createDataSource(config.database.url, config.database.poolSize, { role: config.database.role }).initialize();
      },
    },
    { provide: EventStore, inject: [DATA_SOURCE], useFactory: (dataSource: DataSource) => new EventStore(dataSource) },
    { provide: NotificationOutbox, inject: [DATA_SOURCE], useFactory: (dataSource: DataSource) => new NotificationOutbox(dataSource) },
    {
      provide: WorkerMetrics,
      inject: [APP_CONFIG, RecordKeepingDatabase],
      useFactory: (config: AppConfig, database: RecordKeepingDatabase) =>
        new WorkerMetrics({
          db: () => database.get(),
          temporalRuntimeUrl: config.workerMetrics.temporalRuntimePort === null ? null : `http://127.0.0.1:${config.workerMetrics.temporalRuntimePort}/metrics`,
        }),
    },
    CourseWorkerService,
  ],
})
export class WorkerModule {}
