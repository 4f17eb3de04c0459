#!/usr/bin/env node
'use strict';
/**
 * `npm run projections:rebuild [name...]`: clears the read models and replays every event into them,
 * with a progress bar on stderr and a summary on stdout. Safe while the service runs (the checkpoint
 * row lock serialises it with the worker's runner). Uses DATABASE_URL (as the owner or care_app; the
 * connection switches to DATABASE_ROLE, default care_app, "none" to keep the login role) and
 * compiles first (CARE_SKIP_BUILD=1 uses dist/ as it is).
 */
const path = require('node:path');
const { log: makeLog } = require('./lib/log');
const { ROOT, build } = require('./lib/setup');

const log = makeLog('projections');

/** A bar redrawn in place on a terminal; elsewhere (CI logs, files) one line per tenth. */
const progressBar = (name, total) => {
  const tty = Boolean(process.stderr.isTTY);
  const width = 30;
  let lastTenth = -1;
  const draw = (n, suffix = '') => {
    const done = total === 0 ? width : Math.min(width, Math.round((n / total) * width));
    const pct = total === 0 ? 100 : Math.min(100, Math.floor((n / total) * 100));
    const line = `${name.padEnd(18)} [${'#'.repeat(done)}${'.'.repeat(width - done)}] ${String(pct).padStart(3)}% ${n}/${total}${suffix}`;
    if (tty) process.stderr.write(`\r${line}${suffix ? '\n' : ''}`);
    else if (suffix || (n < total && Math.floor(pct / 10) !== lastTenth)) process.stderr.write(`${line}\n`);
    lastTenth = Math.floor(pct / 10);
  };
  return { update: (n) => draw(n), finish: (n, seconds) => draw(n, ` in ${seconds.toFixed(1)} s`) };
};

const main = async () => {
  if (!process.env.DATABASE_URL) throw new Error('set DATABASE_URL (npm start prints it)');
  if (process.env.CARE_SKIP_BUILD !== '1') build(log);
  require('./lib/register-aliases');
  const es = require(path.join(ROOT, 'dist/libs/event-store/src'));
  const wanted = process.argv.slice(2);
  const known = es.PROJECTIONS.map((p) => p.name);
  const unknown = wanted.filter((n) => !known.includes(n));
  if (unknown.length > 0) throw new Error(`unknown projection ${unknown.join(', ')}; known: ${known.join(', ')}`);
  const role = process.env.DATABASE_ROLE === 'none' ? null : process.env.DATABASE_ROLE || 'care_app';
  const db = await es.createDataSource(process.env.DATABASE_URL, 2, { role }).initialize().catch((error) => {
    throw new Error(`cannot connect${role ? ` as role ${role}` : ''}: ${error.message} (migrated? npm run migrate)`);
  });
  try {
    const [{ migrated }] = await db.query(`SELECT to_regclass('es.events') IS NOT NULL AS migrated`);
    if (!migrated) throw new Error('es.events does not exist: run the migrations first (npm run migrate)');
    const [{ total }] = await db.query('SELECT count(*)::int AS total FROM es.events');
    const chosen = es.PROJECTIONS.filter((p) => wanted.length === 0 || wanted.includes(p.name));
    const results = [];
    for (const projection of chosen) {
      const started = Date.now();
      const bar = progressBar(projection.name, total);
      bar.update(0);
      const n = await es.rebuildProjection(db, projection, { batchSize: 2000, onBatch: bar.update });
      const seconds = (Date.now() - started) / 1000;
      bar.finish(n, seconds);
      results.push({ name: projection.name, applied: n, seconds });
    }
    const status = await es.projectionStatus(db, chosen);
    const lines = ['projection          events applied   seconds   events/s   position   behind'];
    for (const r of results) {
      const s = status.find((x) => x.name === r.name);
      lines.push(
        `${r.name.padEnd(19)} ${String(r.applied).padStart(14)} ${r.seconds.toFixed(1).padStart(9)} ${String(Math.round(r.applied / Math.max(r.seconds, 0.001))).padStart(10)} ${String(s?.lastGlobalPosition ?? '-').padStart(10)} ${String(s?.eventsBehind ?? '-').padStart(8)}`,
      );
    }
    lines.push(`rebuilt ${results.length} projection(s) from ${total} events`);
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await db.destroy();
  }
};

main().catch((error) => {
  log(`failed: ${error.message}`);
  process.exit(1);
});
