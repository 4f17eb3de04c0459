#!/usr/bin/env node
'use strict';
/**
 * `npm run projections:rebuild [name...]`: clears the read models and replays every event into them,
 * with a progress bar on stderr. Safe while the service runs (the checkpoint row lock serialises it
 * with the worker's runner). Uses DATABASE_URL (as the owner or care_app) and compiles first.
 */
const path = require('node:path');
const { log: makeLog } = require('./lib/log');
const { ROOT, build } = require('./lib/setup');

const log = makeLog('projections');

const main = async () => {
  if (!process.env.DATABASE_URL) throw new Error('set DATABASE_URL (npm start prints it)');
  build(log);
  require('./lib/register-aliases');
  const es = require(path.join(ROOT, 'dist/libs/event-store/src'));
  const db = await es.createDataSource(process.env.DATABASE_URL, 2, { role: process.env.DATABASE_ROLE === 'none' ? null : process.env.DATABASE_ROLE || 'care_app' }).initialize();
  try {
    const [{ total }] = await db.query('SELECT count(*)::int AS total FROM es.events');
    const wanted = process.argv.slice(2);
    for (const projection of es.PROJECTIONS.filter((p) => wanted.length === 0 || wanted.includes(p.name))) {
      const started = Date.now();
      const bar = (n) => {
        const width = 30;
        const done = total === 0 ? width : Math.min(width, Math.round((n / total) * width));
        process.stderr.write(`\r${projection.name.padEnd(18)} [${'#'.repeat(done)}${'.'.repeat(width - done)}] ${n}/${total}`);
      };
      bar(0);
      const n = await es.rebuildProjection(db, projection, { batchSize: 2000, onBatch: bar });
      bar(n);
      process.stderr.write(` in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    }
  } finally {
    await db.destroy();
  }
};

main().catch((error) => {
  log(`failed: ${error.message}`);
  process.exit(1);
});
