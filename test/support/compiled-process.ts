import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/**
 * Runs a compiled entry point (`dist/`, built by the system tier's global set-up) as a process of its
 * own, as `npm start` does, and resolves once its output matches `ready`. `CRASH_DEBUG=1` echoes its
 * output, prefixed with `label`.
 */
export const spawnCompiled = async (entry: string, env: NodeJS.ProcessEnv, ready: RegExp, label: string): Promise<ChildProcess> => {
  const child = spawn(process.execPath, ['-r', path.join(ROOT, 'tools/scripts/lib/register-aliases.js'), path.join(ROOT, 'dist', entry)], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const echo = (c: Buffer) => process.env['CRASH_DEBUG'] && process.stderr.write(`[${label} ${child.pid}] ${c}`);
  child.stdout!.on('data', echo);
  child.stderr!.on('data', echo);
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (ready.test(output)) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${label} exited early (${code}): ${output.slice(-2000)}`)));
  });
  return child;
};
