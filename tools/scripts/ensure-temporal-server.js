#!/usr/bin/env node
'use strict';
// Finds or builds the Temporal server and its SQL tool (see lib/temporal-server.js) and prints the server's path as the last line.
const { findTemporalServer } = require('./lib/temporal-server');
const { log } = require('./lib/log');

const { server } = findTemporalServer({ log: log('temporal-server') });
process.stdout.write(`${server}\n`);
