import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/**
 * Runs the compiled worker (`dist/`, built by the system tier's global set-up) as a process of its
 * own, exactly as `npm start` does, so a test can kill it with SIGKILL. Resolves once it polls.
 * `CRASH_DEBUG=1` echoes its output.
 */
export const startWorkerProcess = async (env: Record<string, string | undefined>): Promise<ChildProcess> => {
  const child = spawn(process.execPath, ['-r', path.join(ROOT, 'tools/scripts/lib/register-aliases.js'), path.join(ROOT, 'dist/apps/worker/src/main.js')], {
    cwd: ROOT,
    env: {
      ...process.env,
      // The suite's database has one ledger: sign its checkpoints with the suite's key, not a new one.
      ...(process.env['DATA_DIR'] ? { LEDGER_SIGNING_KEY_FILE: path.join(process.env['DATA_DIR'], 'keys', 'ledger-signing.pem') } : {}),
      RUN_MIGRATIONS: 'false',
      LOG_LEVEL: 'info', // the start-up line tells when the worker polls
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (c: Buffer) => process.env['CRASH_DEBUG'] && process.stderr.write(`[worker ${child.pid}] ${c}`));
  child.stderr!.on('data', (c: Buffer) => process.env['CRASH_DEBUG'] && process.stderr.write(`[worker ${child.pid}] ${c}`));
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/polling task queue/.test(output)) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`worker exited early (${code}): ${output.slice(-2000)}`)));
  });
  return child;
};
