// First: tracing instruments pg as it loads.
import { tracing } from './tracing';
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadConfig } from '@care/config';
import { createLogger, nestLogger, redactText } from '@care/logging';
import { startMetricsServer } from '@care/observability';
import { WorkerMetrics } from './metrics/worker-metrics';
import { CourseWorkerService, WorkerModule } from './worker.module';

/**
 * The worker process: a Nest application context (no HTTP) that polls the course task queue until
 * SIGINT/SIGTERM, then finishes in-flight tasks and closes its connections.
 */
const main = async (): Promise<void> => {
  // Structured JSON lines, redacted; the configuration itself is checked again (all problems at once) by the module.
  const level = (['debug', 'info', 'warn', 'error'] as const).find((l) => l === process.env['LOG_LEVEL']) ?? 'info';
  const pino = createLogger(level, 'worker');
  const logger = nestLogger(pino);
  // The Temporal SDK's own logs (core and workflow sandbox) through the same redacting pino logger, their metadata as fields.
  const temporalLevel = ({ debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR' } as const)[level];
  // Temporal's runtime metrics must be set up before any connection exists: on loopback, merged into ours.
  const { workerMetrics } = loadConfig();
  Runtime.install({
    ...(workerMetrics.temporalRuntimePort !== null
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${workerMetrics.temporalRuntimePort}` } } } }
      : {}),
    logger: new DefaultLogger(temporalLevel, ({ level: l, message, meta }) => {
      const method = l === 'ERROR' ? 'error' : l === 'WARN' ? 'warn' : l === 'INFO' ? 'info' : 'debug';
      pino[method]({ ...meta, context: 'Temporal' }, message);
    }),
  });
  const app = await NestFactory.createApplicationContext(WorkerModule, { logger });
  app.enableShutdownHooks();
  if (workerMetrics.port !== null) {
    await startMetricsServer(app.get(WorkerMetrics), workerMetrics.port, workerMetrics.host);
    logger.log(`metrics on http://${workerMetrics.host}:${workerMetrics.port}/metrics`, 'WorkerMetrics');
  }
  await app.get(CourseWorkerService).untilStopped();
  await app.close();
  // The last spans, before the process ends.
  await tracing?.shutdown();
};

main().catch((error: unknown) => {
  // Before or after the logger exists: one plain line, redacted all the same.
  process.stderr.write(`[worker] fatal: ${redactText(error instanceof Error ? error.message : String(error))}\n`);
  process.exit(1);
});
