'use strict';
/**
 * Starts the real servers the integration and end-to-end tiers need: a PostgreSQL cluster and a
 * Temporal dev server, each on a free loopback port, in a throwaway folder. Environment variables
 * set here reach every test worker, which Jest forks afterwards.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startCluster } = require('../../tools/scripts/lib/postgres');
const { findTemporalCli, startDevServer } = require('../../tools/scripts/lib/temporal');
const { ensureTimeSkippingServer } = require('../../tools/scripts/lib/time-skipping-server');
const { freePort } = require('../../tools/scripts/lib/ports');
const { spawnSync } = require('node:child_process');
const { log: makeLog } = require('../../tools/scripts/lib/log');

module.exports = async () => {
  const log = makeLog('test-setup');
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'care-test-'));
  fs.chmodSync(workDir, 0o755);
  const handles = { workDir };
  globalThis.__CARE_TEST__ = handles;

  if (process.env.TEST_DATABASE_URL) {
    process.env.DATABASE_URL = process.env.TEST_DATABASE_URL;
  } else {
    const pg = await startCluster({ clusterDir: path.join(workDir, 'postgres'), database: 'care_test', log });
    handles.postgres = pg;
    process.env.DATABASE_URL = pg.url;
  }

  const cli = findTemporalCli({ log });
  const startTemporal = async (attempt) => {
    try {
      return await startDevServer({ cli, port: await freePort(), log, logFile: path.join(workDir, 'temporal.log') });
    } catch (error) {
      // Only a port taken between choosing it and binding it is worth another try, on other ports.
      if (!error.portInUse || attempt >= 3) throw error;
      log(`a port of the Temporal dev server was taken (attempt ${attempt}); trying other ports`);
      return startTemporal(attempt + 1);
    }
  };
  const temporal = await startTemporal(1);
  handles.temporal = temporal;
  process.env.TEMPORAL_ADDRESS = temporal.address;
  process.env.DATA_DIR = path.join(workDir, 'data');
  process.env.CARE_TEST_WORK_DIR = workDir;
  process.env.TEMPORAL_CLI_PATH = cli.type === 'existing-path' ? cli.path : '';
  // Time-skipping suites start their own server from this executable (one per suite, on a free port).
  process.env.TEMPORAL_TEST_SERVER = ensureTimeSkippingServer({ log });
  // Suites that kill a compiled worker (SIGKILL tests) run dist/ as `npm start` does: built once here,
  // before any suite, so no two suites write dist/ at the same time.
  const root = path.resolve(__dirname, '../..');
  const built = spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`build for the system tests failed: ${built.stdout}${built.stderr}`);
};
