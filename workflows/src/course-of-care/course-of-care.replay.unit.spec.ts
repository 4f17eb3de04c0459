import * as fs from 'node:fs';
import * as path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { bundleCourseWorkflows } from '../../../apps/worker/src/workflow-bundle';
import { workflowSinks } from '../../../apps/worker/src/create-worker';
import { PATCHES } from './course-of-care.workflow';

try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  /* installed by another file in this worker */
}

const HISTORIES = path.join(__dirname, 'histories');
/**
 * Histories captured by earlier workflow code (before the patches named by the folder), kept so that
 * courses started then, and still running, are proven to replay on today's code.
 */
const EARLIER = ['before-command-ids', 'before-clinical-times'].map((dir) => path.join(HISTORIES, dir));

/**
 * Determinism guard, no server needed: the saved histories of representative courses (a full course, a
 * withdrawal during dosing, an SAE hold and its clearance, a course that continued as new; captured by
 * replay-histories.int.spec.ts with CAPTURE_HISTORIES=1) must replay against today's workflow code.
 * A change that breaks them needs `patched()` (see PATCHES in course-of-care.workflow.ts).
 */
describe('replay of saved course histories', () => {
  const files = fs.readdirSync(HISTORIES).filter((f) => f.endsWith('.json')).sort();
  const earlier = EARLIER.flatMap((dir) => fs.readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => path.join(path.basename(dir), f)));

  it('has a history for each representative course', () => {
    const scenarios = new Set(files.map((f) => f.split('.')[0]));
    expect([...scenarios].sort()).toEqual(['continue-as-new', 'full-course-esketamine', 'sae-hold-and-clearance', 'withdrawal-during-dosing']);
    expect(files.some((f) => f.includes('dosing-session'))).toBe(true);
    expect(earlier.length).toBeGreaterThan(0);
  });

  it('includes the marker of every patch of the course workflow', () => {
    const patchIds = new Set<string>();
    for (const file of files.filter((f) => f.endsWith('.course.json'))) {
      const history = JSON.parse(fs.readFileSync(path.join(HISTORIES, file), 'utf8')) as {
        events: { markerRecordedEventAttributes?: { markerName?: string; details?: Record<string, { payloads: { data: string }[] }> } }[];
      };
      for (const event of history.events) {
        const marker = event.markerRecordedEventAttributes;
        const payload = marker?.markerName === 'core_patch' ? marker.details?.['patch-data']?.payloads[0]?.data : undefined;
        if (payload) patchIds.add((JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as { id: string }).id);
      }
    }
    expect([...patchIds].sort()).toEqual(Object.values(PATCHES).sort());
  });

  it('replays every saved history without a determinism error', async () => {
    const workflowBundle = await bundleCourseWorkflows();
    const histories = [...files, ...earlier].map((file) => ({
      workflowId: file,
      history: historyFromJSON(JSON.parse(fs.readFileSync(path.join(HISTORIES, file), 'utf8'))),
    }));
    const failures: string[] = [];
    let replayed = 0;
    for await (const result of Worker.runReplayHistories({ workflowBundle, sinks: workflowSinks() }, histories)) {
      replayed += 1;
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(files.length + earlier.length);
  // Bundling the workflows (webpack) is most of it: on 2 busy cores that alone has taken over a minute.
  }, 180_000);
});
