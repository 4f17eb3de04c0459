#!/usr/bin/env node
'use strict';
/**
 * `npm run migrate`: applies pending migrations to DATABASE_MIGRATION_URL (default DATABASE_URL) as
 * the login role (the schema owner), then prints what it applied. Compiles first
 * (CARE_SKIP_BUILD=1 uses dist/ as it is).
 */
const path = require('node:path');
const { log: makeLog } = require('./lib/log');
const { ROOT, build } = require('./lib/setup');

const log = makeLog('migrate');

const main = async () => {
  const url = process.env.DATABASE_MIGRATION_URL || process.env.DATABASE_URL;
  if (!url) throw new Error('set DATABASE_URL or DATABASE_MIGRATION_URL');
  if (process.env.CARE_SKIP_BUILD !== '1') build(log);
  require('./lib/register-aliases');
  const { createDataSource, runMigrations } = require(path.join(ROOT, 'dist/libs/event-store/src'));
  // Two connections: runMigrations holds one for its advisory lock while TypeORM migrates on another.
  const db = await createDataSource(url, 2).initialize();
  try {
    const applied = await runMigrations(db);
    log(applied.length === 0 ? 'up to date' : `applied ${applied.join(', ')}`);
  } finally {
    await db.destroy();
  }
};

main().catch((error) => {
  log(`failed: ${error.message}`);
  process.exit(1);
});
