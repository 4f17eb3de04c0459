#!/usr/bin/env node
'use strict';
// Writes the production workflow bundle (used by docker/Dockerfile.worker through WORKFLOW_BUNDLE_PATH).
// Run after `npm run build`:  node -r ./tools/scripts/lib/register-aliases.js tools/scripts/build-workflow-bundle.js <out>
const fs = require('node:fs');
const path = require('node:path');
const { bundleCourseWorkflows } = require('../../dist/apps/worker/src/workflow-bundle');

const out = path.resolve(process.argv[2] || 'dist/workflow-bundle.js');
bundleCourseWorkflows().then(
  ({ code }) => {
    fs.writeFileSync(out, code);
    process.stderr.write(`workflow bundle written to ${out} (${Math.round(code.length / 1024)} KiB)\n`);
  },
  (error) => {
    process.stderr.write(`bundling failed: ${error.message}\n`);
    process.exit(1);
  },
);
