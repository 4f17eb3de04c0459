'use strict';
/** Set-up steps shared by `npm start` and `npm test`: dependencies installed and code compiled. Built-ins only. */
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '../../..');

const sh = (cmd, args, log) => {
  log(`$ ${cmd} ${args.join(' ')}`);
  const result = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', env: process.env });
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed with exit code ${result.status}`);
};

/** Runs `npm ci` when node_modules is missing or older than the lock file. */
const ensureDependencies = (log) => {
  const marker = path.join(ROOT, 'node_modules', '.package-lock.json');
  const lock = path.join(ROOT, 'package-lock.json');
  if (fs.existsSync(marker) && fs.statSync(marker).mtimeMs >= fs.statSync(lock).mtimeMs) return;
  log('installing dependencies (npm ci)');
  sh('npm', ['ci', '--no-audit', '--no-fund'], log);
};

/** Builds the web console (apps/console) with Vite into dist/apps/console, which the API serves under /console. */
const buildConsole = (log) => sh(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'apps/console/vite.config.mts', '--logLevel', 'warn'], log);

/** Compiles apps, libs and workflows into dist/ (type-checking them on the way), then the console. */
const build = (log) => {
  sh(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], log);
  buildConsole(log);
};

/**
 * The browser the console's tests drive: Debian's chromium (never a browser download). Installed with
 * apt-get when missing and this process may (root, or sudo without a password); otherwise the error says how.
 */
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ensureChromium = (log) => {
  if (fs.existsSync(CHROMIUM)) return CHROMIUM;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const sudo = !root && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
  if (!root && !sudo) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (sudo apt-get install -y chromium) or set CHROMIUM_PATH`);
  log('installing chromium for the browser tests (apt-get)');
  const prefix = root ? [] : ['sudo', '-n'];
  const run = (args) => (prefix.length ? sh(prefix[0], [...prefix.slice(1), ...args], log) : sh(args[0], args.slice(1), log));
  run(['apt-get', 'update', '-qq']);
  run(['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '-qq', 'chromium']);
  if (!fs.existsSync(CHROMIUM)) throw new Error(`apt-get installed chromium but ${CHROMIUM} is still missing`);
  return CHROMIUM;
};

module.exports = { ROOT, ensureDependencies, build, buildConsole, ensureChromium };
