#!/usr/bin/env node
'use strict';
/**
 * `npm test`: installs dependencies if needed, makes sure the Temporal CLI exists (building it once),
 * builds the web console and installs Debian's chromium for its browser tests if missing, then runs
 * every Jest tier. The system tier's global set-up starts its own PostgreSQL cluster and Temporal dev
 * server on free loopback ports and stops them afterwards. Extra arguments go to Jest.
 */
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { log: makeLog } = require('./lib/log');
const { ROOT, ensureDependencies, buildConsole, ensureChromium } = require('./lib/setup');

const log = makeLog('test');
ensureDependencies(log);
// The console's browser tests need the built console and Debian's chromium.
buildConsole(log);
process.env.CHROMIUM_PATH = ensureChromium(log);
const { findTemporalCli } = require('./lib/temporal');
const cli = findTemporalCli({ log });
if (cli.type === 'existing-path') process.env.TEMPORAL_CLI = cli.path;
process.env.FHIR_VALIDATOR_JAR = require('./lib/fhir-validator').ensureFhirValidator({ log });

const jest = path.join(ROOT, 'node_modules/jest/bin/jest.js');
const args = [jest, '--ci', ...(process.env.CI ? ['--maxWorkers=2'] : []), ...process.argv.slice(2)];
const result = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit', env: process.env });
process.exit(result.status ?? 1);
