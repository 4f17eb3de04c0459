import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { TestStack } from './test-stack';
import { freePort } from './free-port';

const ROOT = path.resolve(__dirname, '../..');

/**
 * Runs the compiled API (`dist/`, built by the system tier's global set-up) as a process of its own
 * against a test stack's database, Temporal task queue, keys and issuer, exactly as `npm start` does,
 * so a test can send it signals. Resolves once it listens. `CRASH_DEBUG=1` echoes its output.
 */
export const startApiProcess = async (stack: TestStack, env: Record<string, string> = {}): Promise<{ child: ChildProcess; baseUrl: string }> => {
  const port = await freePort();
  const child = spawn(process.execPath, ['-r', path.join(ROOT, 'tools/scripts/lib/register-aliases.js'), path.join(ROOT, 'dist/apps/api/src/main.js')], {
    cwd: ROOT,
    env: {
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
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const echo = (c: Buffer) => process.env['CRASH_DEBUG'] && process.stderr.write(`[api ${child.pid}] ${c}`);
  child.stdout!.on('data', echo);
  child.stderr!.on('data', echo);
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/listening on http/.test(output)) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`API exited early (${code}): ${output.slice(-2000)}`)));
  });
  return { child, baseUrl: `http://127.0.0.1:${port}` };
};
