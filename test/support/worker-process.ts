import type { ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { spawnCompiled } from './compiled-process';

/** Runs the compiled worker as a process of its own, so a test can kill it with SIGKILL. Resolves once it polls. */
export const startWorkerProcess = (env: Record<string, string | undefined>): Promise<ChildProcess> =>
  spawnCompiled(
    'apps/worker/src/main.js',
    {
      ...process.env,
      // The suite's database has one ledger: sign its checkpoints with the suite's key, not a new one.
      ...(process.env['DATA_DIR'] ? { LEDGER_SIGNING_KEY_FILE: path.join(process.env['DATA_DIR'], 'keys', 'ledger-signing.pem') } : {}),
      RUN_MIGRATIONS: 'false',
      LOG_LEVEL: 'info', // the start-up line tells when the worker polls
      ...env,
    },
    /polling task queue/,
    'worker',
  );
