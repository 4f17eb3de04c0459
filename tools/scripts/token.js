#!/usr/bin/env node
'use strict';
/**
 * Prints a bearer token for the embedded default, signed with the key in the data folder.
 *   npm run token -- --sub alice --name "Alice Example" --role coordinator --site site-a [--ttl 8h]
 * Auditors may be given several sites: --site site-a,site-b. `auth_time` is now, so the token can sign
 * (e-signatures need a sign-in within SIGNATURE_MAX_AUTH_AGE_MINUTES); mint a new one to sign later.
 * The token is the last line of output.
 */
const path = require('node:path');
const fs = require('node:fs');
const { parseArgs } = require('node:util');
const { ensureDevKeys } = require('./lib/dev-keys');
const { log: makeLog } = require('./lib/log');

const ROLES = ['coordinator', 'therapist', 'physician', 'auditor', 'integration', 'admin'];
const USAGE = `Prints a bearer token for the embedded default (last line of output).

  npm run token -- --sub <user id> --name "<printed name>" --role <role> --site <site id> [options]

  --role        ${ROLES.join(', ')}
  --site        one site; auditors may have several: --site site-a,site-b
  --ttl         lifetime, e.g. 30m, 8h (default 8h)
  --auth-time   when the user signed in: "now" (default), seconds ago (e.g. 600), or "none";
                e-signatures need a sign-in within SIGNATURE_MAX_AUTH_AGE_MINUTES
  --help        this text
`;

const main = async () => {
  const { values } = parseArgs({
    options: {
      sub: { type: 'string' },
      name: { type: 'string' },
      role: { type: 'string' },
      site: { type: 'string' },
      ttl: { type: 'string', default: '8h' },
      'auth-time': { type: 'string', default: 'now' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const problems = [];
  const authTime = values['auth-time'];
  if (!(authTime === 'now' || authTime === 'none' || /^[0-9]{1,9}$/.test(authTime))) problems.push('--auth-time must be "now", "none" or seconds ago');
  if (!values.sub) problems.push('--sub <user id> is required');
  if (!values.name) problems.push('--name "<printed name>" is required');
  if (!ROLES.includes(values.role)) problems.push(`--role must be one of ${ROLES.join(', ')}`);
  if (!values.site) problems.push('--site <site id> is required');
  const sites = (values.site || '').split(',').map((s) => s.trim()).filter(Boolean);
  if (sites.length > 1 && values.role !== 'auditor') problems.push('only auditors may have several sites (staff act for one site at a time)');
  if (problems.length) {
    process.stderr.write(`token: ${problems.join('; ')}\n\n${USAGE}`);
    process.exit(2);
  }
  const { SignJWT, importPKCS8 } = require('jose');
  const dataDir = path.resolve(process.env.DATA_DIR || '.data');
  const { privateKeyFile } = ensureDevKeys(dataDir, makeLog('token'));
  const key = await importPKCS8(fs.readFileSync(privateKeyFile, 'utf8'), 'EdDSA');
  const now = Math.floor(Date.now() / 1000);
  const claims = { name: values.name, role: values.role, site: sites.length > 1 ? sites : sites[0] };
  if (authTime !== 'none') claims.auth_time = authTime === 'now' ? now : now - Number(authTime);
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA' })
    .setSubject(values.sub)
    .setIssuer(process.env.AUTH_ISSUER || 'mdma-care-backbone-dev')
    .setAudience(process.env.AUTH_AUDIENCE || 'mdma-care-backbone')
    .setIssuedAt(now)
    .setExpirationTime(values.ttl)
    .sign(key);
  process.stdout.write(`${token}\n`);
};

main().catch((error) => {
  process.stderr.write(`token: ${error.message}\n`);
  process.exit(1);
});
