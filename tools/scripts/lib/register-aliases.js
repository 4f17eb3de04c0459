'use strict';
/**
 * Lets compiled code (dist/) resolve the workspace's `@care/*` imports, which tsc leaves untouched.
 * Loaded with `node -r`. The map mirrors `paths` in tsconfig.base.json.
 */
const Module = require('node:module');
const path = require('node:path');
const { compilerOptions } = require('../../../tsconfig.base.json');

const DIST = path.resolve(__dirname, '../../../dist');
const aliases = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([name, [target]]) => [name, path.join(DIST, target.replace(/\.ts$/, '.js'))]),
);

const original = Module._resolveFilename;
Module._resolveFilename = function resolveWithAliases(request, ...rest) {
  return original.call(this, aliases[request] ?? request, ...rest);
};
