#!/usr/bin/env node
'use strict';
// Finds or builds the Temporal CLI (see lib/temporal.js) and prints its path as the last line.
const { findTemporalCli } = require('./lib/temporal');
const { log } = require('./lib/log');

const cli = findTemporalCli({ log: log('temporal') });
process.stdout.write(`${cli.type === 'existing-path' ? cli.path : 'sdk-download'}\n`);
