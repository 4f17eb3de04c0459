'use strict';
/**
 * Provides the offline FHIR R4 validator (tools/fhir-validator: HAPI FHIR 8.8.1 from Maven Central) as one
 * jar, for the FHIR export's tests. Built once with Maven into a cache outside the clone,
 * ~/.cache/mdma-care-backbone/fhir-validator-8.8.1/<source hash>/ (fhir-validator.jar and its lib/), the
 * way time-skipping-server.js provisions Temporal's Java test server: found in the cache, else built.
 * The source hash covers the pom and the Java sources, so an edit to either builds a new copy and an old
 * one is never used by mistake. `npm test` calls it before Jest starts, so the first run's download (a
 * minute or two) never counts against a test's timeout. Needs Java 17 and Maven once; nothing at run time.
 *
 * Run as a script, it prints the jar's path (building it if needed).
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const HAPI_VERSION = '8.8.1';
const SOURCE_DIR = path.resolve(__dirname, '../../fhir-validator');

const cacheDir = () =>
  path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'mdma-care-backbone', `fhir-validator-${HAPI_VERSION}`);

/** Every file of the validator's sources, relative to its folder, in a stable order. */
const sourceFiles = (dir = SOURCE_DIR, prefix = '') =>
  fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.name !== 'target')
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => (e.isDirectory() ? sourceFiles(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]));

/** SHA-256 of the sources (names and contents), first 16 hex digits: the cache entry's name. */
const sourceHash = () => {
  const hash = crypto.createHash('sha256');
  for (const file of sourceFiles()) hash.update(`${file}\0`).update(fs.readFileSync(path.join(SOURCE_DIR, file))).update('\0');
  return hash.digest('hex').slice(0, 16);
};

const has = (tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

/**
 * @param {{ log: (message: string) => void }} options
 * @returns {string} the path of fhir-validator.jar; throws with a clear message when Java or Maven is missing or the build fails.
 */
const ensureFhirValidator = ({ log }) => {
  if (process.env.FHIR_VALIDATOR_JAR) {
    if (!fs.existsSync(process.env.FHIR_VALIDATOR_JAR)) throw new Error(`FHIR_VALIDATOR_JAR=${process.env.FHIR_VALIDATOR_JAR} does not exist`);
    return process.env.FHIR_VALIDATOR_JAR;
  }
  const root = cacheDir();
  const entry = path.join(root, sourceHash());
  const jar = path.join(entry, 'fhir-validator.jar');
  if (fs.existsSync(jar)) return jar;
  for (const tool of ['java', 'mvn']) {
    if (!has(tool)) throw new Error(`${tool} is needed once to build the FHIR validator (apt-get install -y default-jdk-headless maven)`);
  }
  log(`building the FHIR validator (HAPI FHIR ${HAPI_VERSION}, from Maven Central) into ${entry}`);
  log('this happens once per machine and source version and takes a minute or two; later runs reuse the build');
  const started = Date.now();
  // Built in a folder of this process's own, then renamed into place: a concurrent build never sees a half-written entry.
  fs.mkdirSync(root, { recursive: true });
  const work = fs.mkdtempSync(path.join(root, '.build-'));
  try {
    for (const file of sourceFiles()) {
      fs.mkdirSync(path.dirname(path.join(work, file)), { recursive: true });
      fs.copyFileSync(path.join(SOURCE_DIR, file), path.join(work, file));
    }
    const result = spawnSync('mvn', ['-q', '-B', '-Dstyle.color=never', 'package'], { cwd: work, stdio: ['ignore', 'inherit', 'inherit'] });
    if (result.status !== 0) throw new Error(`Maven could not build the FHIR validator (exit ${result.status ?? result.signal}); see the output above`);
    const built = path.join(work, 'built');
    fs.mkdirSync(built);
    fs.renameSync(path.join(work, 'target', 'fhir-validator.jar'), path.join(built, 'fhir-validator.jar'));
    fs.renameSync(path.join(work, 'target', 'lib'), path.join(built, 'lib'));
    try {
      fs.renameSync(built, entry);
    } catch (error) {
      // Another process finished the same build first: its copy is as good as ours.
      if (!fs.existsSync(jar)) throw error;
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  log(`FHIR validator built in ${Math.round((Date.now() - started) / 1000)} s`);
  // Builds of earlier sources (about 150 MB each) are of no further use.
  for (const name of fs.readdirSync(root)) {
    if (name !== path.basename(entry) && /^[0-9a-f]{16}$/.test(name)) fs.rmSync(path.join(root, name), { recursive: true, force: true });
  }
  return jar;
};

module.exports = { ensureFhirValidator, HAPI_VERSION, cacheDir };

if (require.main === module) {
  const { log } = require('./log');
  process.stdout.write(`${ensureFhirValidator({ log: log('fhir-validator') })}\n`);
}
