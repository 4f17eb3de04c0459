// First: tracing instruments http and pg as they load.
import './tracing';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { loadConfig } from '@care/config';
import { redactText } from '@care/logging';
import { createApp } from './create-app';
import { startMetricsServer } from '@care/observability';
import { ApiMetrics } from './metrics/api-metrics';

const main = async (): Promise<void> => {
  const config = loadConfig();
  const app = await createApp(config);
  await app.listen(config.http.port, config.http.host);
  const logger = new Logger('Api');
  logger.log(`listening on http://${config.http.host}:${config.http.port}`);
  if (config.metrics.port !== null) {
    await startMetricsServer(app.get(ApiMetrics).registry, config.metrics.port, config.metrics.host);
    logger.log(`metrics on http://${config.metrics.host}:${config.metrics.port}/metrics`);
  }
};

main().catch((error: unknown) => {
  // Before or after the logger exists: one plain line, redacted all the same.
  process.stderr.write(`[api] fatal: ${redactText(error instanceof Error ? error.message : String(error))}\n`);
  process.exit(1);
});
