import * as fs from 'node:fs';
import * as path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { bundleCourseWorkflows } from '../../../apps/worker/src/workflow-bundle';
import { workflowSinks } from '../../../apps/worker/src/create-worker';

try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  /* installed by another file in this worker */
}

const HISTORIES = path.join(__dirname, 'histories');

/**
 * Determinism guard, no server needed: saved delivery runs (captured by
 * webhook-delivery-histories.int.spec.ts with CAPTURE_HISTORIES=1) replay against today's code. A
 * change that breaks them needs `patched()`.
 */
describe('replay of saved webhook delivery histories', () => {
  const files = fs.readdirSync(HISTORIES).filter((f) => f.endsWith('.json')).sort();

  it('has the delivered and the exhausted run', () => {
    expect(files).toEqual(['delivered-after-retries.json', 'exhausted.json']);
  });

  it('replays each without a determinism error', async () => {
    const workflowBundle = await bundleCourseWorkflows();
    for (const file of files) {
      const history = historyFromJSON(JSON.parse(fs.readFileSync(path.join(HISTORIES, file), 'utf8')));
      await expect(Worker.runReplayHistory({ workflowBundle, sinks: workflowSinks() }, history, file)).resolves.toBeUndefined();
    }
  }, 60_000);
});
