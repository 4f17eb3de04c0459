import 'reflect-metadata';
import { loadConfig } from '@care/config';
import { createApp } from './create-app';

const main = async (): Promise<void> => {
  const config = loadConfig();
  const app = await createApp(config);
  await app.listen(config.http.port, config.http.host);
  process.stderr.write(`[api] listening on http://${config.http.host}:${config.http.port}\n`);
};

main().catch((error: unknown) => {
  process.stderr.write(`[api] fatal: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
