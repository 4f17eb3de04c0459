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

/** Compiles apps, libs and workflows into dist/ (type-checking them on the way). */
const build = (log) => sh(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], log);

module.exports = { ROOT, ensureDependencies, build };
