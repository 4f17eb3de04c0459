import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { CourseWorkerService, WorkerModule } from './worker.module';

/**
 * The worker process: a Nest application context (no HTTP) that polls the course task queue until
 * SIGINT/SIGTERM, then finishes in-flight tasks and closes its connections.
 */
const main = async (): Promise<void> => {
  const app = await NestFactory.createApplicationContext(WorkerModule, { logger: ['log', 'warn', 'error'] });
  app.enableShutdownHooks();
  await app.get(CourseWorkerService).untilStopped();
  await app.close();
};

main().catch((error: unknown) => {
  process.stderr.write(`[worker] fatal: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
