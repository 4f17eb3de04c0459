'use strict';
/** Progress lines for the start and test scripts: short, prefixed, on stderr so stdout stays clean. */
const log = (scope) => (message) => process.stderr.write(`[${scope}] ${message}\n`);
module.exports = { log };
