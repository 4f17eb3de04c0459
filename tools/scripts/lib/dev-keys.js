'use strict';
/**
 * The embedded default's token signing key: an Ed25519 pair generated into the data folder on first
 * start (never committed). Production verifies tokens of a real identity provider instead.
 */
const fs = require('node:fs');
const path = require('node:path');
const { generateKeyPairSync } = require('node:crypto');

const keyFiles = (dataDir) => ({
  privateKeyFile: path.join(dataDir, 'keys', 'jwt-private.pem'),
  publicKeyFile: path.join(dataDir, 'keys', 'jwt-public.pem'),
});

const ensureDevKeys = (dataDir, log) => {
  const files = keyFiles(dataDir);
  if (!fs.existsSync(files.privateKeyFile) || !fs.existsSync(files.publicKeyFile)) {
    log(`generating the development token signing key in ${path.dirname(files.privateKeyFile)}`);
    fs.mkdirSync(path.dirname(files.privateKeyFile), { recursive: true, mode: 0o700 });
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    fs.writeFileSync(files.privateKeyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    fs.writeFileSync(files.publicKeyFile, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644 });
  }
  return files;
};

module.exports = { ensureDevKeys, keyFiles };
