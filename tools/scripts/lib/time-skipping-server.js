'use strict';
/**
 * Provides Temporal's time-skipping test server (the Java `io.temporal:temporal-test-server` from Maven
 * Central, the same code the SDK would download as a native image) as one executable: a wrapper script
 * that `@temporalio/testing`'s `createTimeSkipping` can start as an `existing-path` server. Lets tests
 * run a course with weeks between visits in seconds. Cached outside the clone; needs Java and Maven once.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const VERSION = '1.38.0';

const cacheDir = () =>
  path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'mdma-care-backbone', `temporal-test-server-${VERSION}`);

const POM = `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.care</groupId><artifactId>temporal-test-server-classpath</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>io.temporal</groupId><artifactId>temporal-test-server</artifactId><version>${VERSION}</version></dependency>
  </dependencies>
</project>
`;

/** @returns {string} path of the wrapper executable; throws with a clear message when Java or Maven is missing. */
const ensureTimeSkippingServer = ({ log }) => {
  if (process.env.TEMPORAL_TEST_SERVER) return process.env.TEMPORAL_TEST_SERVER;
  const dir = cacheDir();
  const wrapper = path.join(dir, 'temporal-test-server');
  if (fs.existsSync(wrapper)) return wrapper;
  for (const tool of ['java', 'mvn']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
      throw new Error(`${tool} is needed once to fetch Temporal's time-skipping test server (apt-get install -y default-jdk-headless maven)`);
    }
  }
  log(`fetching io.temporal:temporal-test-server:${VERSION} with Maven into ${dir}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'pom.xml'), POM);
  const result = spawnSync('mvn', ['-q', '-B', 'dependency:build-classpath', `-Dmdep.outputFile=${path.join(dir, 'classpath.txt')}`], {
    cwd: dir,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0) throw new Error(`Maven could not fetch temporal-test-server ${VERSION} (exit ${result.status})`);
  const classpath = fs.readFileSync(path.join(dir, 'classpath.txt'), 'utf8').trim();
  // C1-only JIT and the serial GC make the JVM start well inside the SDK's ~5 s readiness window.
  fs.writeFileSync(
    `${wrapper}.tmp`,
    `#!/bin/sh\nexec java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xss1m -cp '${classpath}' io.temporal.testserver.TestServer "$@"\n`,
    { mode: 0o755 },
  );
  fs.renameSync(`${wrapper}.tmp`, wrapper);
  return wrapper;
};

module.exports = { ensureTimeSkippingServer, TEST_SERVER_VERSION: VERSION };
