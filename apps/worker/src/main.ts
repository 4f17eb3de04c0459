import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { JsonLogger } from '@care/logging';
import { CourseWorkerService, WorkerModule } from './worker.module';

/**
 * The worker process: a Nest application context (no HTTP) that polls the course task queue until
 * SIGINT/SIGTERM, then finishes in-flight tasks and closes its connections.
 */
const main = async (): Promise<void> => {
  // Structured JSON lines, redacted; the configuration itself is checked again (all problems at once) by the module.
  const level = (['debug', 'info', 'warn', 'error'] as const).find((l) => l === process.env['LOG_LEVEL']) ?? 'info';
  const logger = new JsonLogger(level, 'worker');
  // The Temporal SDK's own logs (core and workflow sandbox) through the same redacting JSON logger.
  const temporalLevel = ({ debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR' } as const)[level];
  Runtime.install({
    logger: new DefaultLogger(temporalLevel, ({ level: l, message, meta }) => {
      const write = l === 'ERROR' ? logger.error : l === 'WARN' ? logger.warn : l === 'INFO' ? logger.log : logger.debug;
      write.call(logger, message, ...(meta ? [meta] : []), 'Temporal');
    }),
  });
  const app = await NestFactory.createApplicationContext(WorkerModule, { logger });
  app.enableShutdownHooks();
  await app.get(CourseWorkerService).untilStopped();
  await app.close();
};

main().catch((error: unknown) => {
  process.stderr.write(`[worker] fatal: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
