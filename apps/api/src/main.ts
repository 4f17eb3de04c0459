// First: tracing instruments http and pg as they load.
import './tracing';
import 'reflect-metadata';
import { loadConfig } from '@care/config';
import { createApp } from './create-app';
import { startMetricsServer } from '@care/observability';
import { ApiMetrics } from './metrics/api-metrics';

const main = async (): Promise<void> => {
  const config = loadConfig();
  const app = await createApp(config);
  await app.listen(config.http.port, config.http.host);
  process.stderr.write(`[api] listening on http://${config.http.host}:${config.http.port}\n`);
  if (config.metrics.port !== null) {
    await startMetricsServer(app.get(ApiMetrics).registry, config.metrics.port, config.metrics.host);
    process.stderr.write(`[api] metrics on http://${config.metrics.host}:${config.metrics.port}/metrics\n`);
  }
};

main().catch((error: unknown) => {
  process.stderr.write(`[api] fatal: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
