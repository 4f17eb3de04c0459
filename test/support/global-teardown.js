'use strict';
const fs = require('node:fs');

module.exports = async () => {
  const handles = globalThis.__CARE_TEST__;
  if (!handles) return;
  if (handles.temporal) await handles.temporal.stop();
  if (handles.postgres) handles.postgres.stop();
  if (process.env.KEEP_TEST_DIR !== '1') fs.rmSync(handles.workDir, { recursive: true, force: true });
};
