import type { ChildProcess } from 'node:child_process';
import { spawnCompiled } from './compiled-process';
import { freePort } from './free-port';
import type { TestStack } from './test-stack';

/**
 * Runs the compiled API as a process of its own against a test stack's database, Temporal task queue,
 * keys and issuer, so a test can send it signals. Resolves once it listens.
 */
export const startApiProcess = async (stack: TestStack, env: Record<string, string> = {}): Promise<{ child: ChildProcess; baseUrl: string }> => {
  const port = await freePort();
  const child = await spawnCompiled(
    'apps/api/src/main.js',
    {
      ...process.env,
      DATABASE_URL: stack.config.database.url,
      TEMPORAL_TASK_QUEUE: stack.config.temporal.taskQueue,
      AUTH_PUBLIC_KEY_FILE: stack.config.auth.publicKeyFile!,
      AUTH_ISSUER: stack.config.auth.issuer,
      AUTH_AUDIENCE: stack.config.auth.audience,
      PAYLOAD_CODEC_KEYS_FILE: stack.config.payloadCodec.keysFile,
      RATE_LIMIT_PER_MINUTE: '100000',
      PORT: String(port),
      LOG_LEVEL: 'info',
      ...env,
    },
    /listening on http/,
    'api',
  );
  return { child, baseUrl: `http://127.0.0.1:${port}` };
};
