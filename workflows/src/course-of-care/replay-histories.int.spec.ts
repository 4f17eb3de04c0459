import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createDataSource, EventStore, NotificationOutbox } from '@care/event-store';
import { createCourseActivities } from '../../../apps/worker/src/activities/course.activities';
import { courseWorkflowId } from '@care/contracts';
import { CourseDriver } from '../../../test/support/course-driver';
import { startTimeSkipping, type TimeSkippingStack } from '../../../test/support/time-skipping';
import { bundleCourseWorkflows } from '../../../apps/worker/src/workflow-bundle';
import { workflowSinks } from '../../../apps/worker/src/create-worker';
import { SCENARIOS } from '../../../test/support/course-scenarios';

const HISTORIES = path.join(__dirname, 'histories');

/** A worker on the suite's real Temporal dev server, for scenarios that must run in real time. */
const devServer = async () => {
  const env = await TestWorkflowEnvironment.createFromExistingServer({ address: process.env['TEMPORAL_ADDRESS'] });
  const db = await createDataSource(process.env['DATABASE_URL']!, 3).initialize();
  const taskQueue = `replay-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await bundleCourseWorkflows(),
    sinks: workflowSinks(),
    activities: createCourseActivities({ eventStore: new EventStore(db), outbox: new NotificationOutbox(db) }),
  });
  return {
    env,
    taskQueue,
    withWorker: <T>(fn: () => Promise<T>) => worker.runUntil(fn),
    stop: async () => {
      await env.teardown();
      await db.destroy();
    },
  };
};

/**
 * Runs the representative courses on the time-skipping server, then replays every workflow run they
 * produced (course runs across continue-as-new, dosing-session children) against today's workflow
 * code. With CAPTURE_HISTORIES=1 it also saves them beside the workflow for the server-less replay test.
 */
// Same guard as the other time-skipping suites: the Java test server now and then keeps a time lock
// after a workflow-to-workflow signal and the clock stalls (see CourseDriver.skip); such a scenario is
// retried from scratch. Each scenario takes seconds when it runs.
jest.retryTimes(2, { logErrorsBeforeRetry: true });
jest.setTimeout(60_000);

describe('representative course histories', () => {
  let stack: TimeSkippingStack;
  beforeAll(async () => {
    stack = await startTimeSkipping({ encryptPayloads: process.env['CAPTURE_HISTORIES'] !== '1' });
  });
  afterAll(async () => stack?.stop());

  for (const scenario of SCENARIOS) {
    it(`${scenario.name}: runs and replays deterministically`, async () => {
      const courseId = randomUUID();
      const dev = scenario.realTime ? await devServer() : null;
      const driver = dev
        ? new CourseDriver(dev.env, dev.taskQueue, courseId, { continueAsNewAfterEvents: scenario.continueAsNewAfterEvents, skipTime: false })
        : stack.driver(courseId, { continueAsNewAfterEvents: scenario.continueAsNewAfterEvents });
      await (dev ?? stack).withWorker(async () => {
        for (const command of scenario.script) {
          if (command.type === 'ClearSafetyHold' && command.data.holdRef === -1) {
            const state = (await driver.handle!.query('courseState')) as { holds: { ref: number }[] };
            await driver.send({ ...command, data: { ...command.data, holdRef: state.holds[0]!.ref } });
          } else {
            await driver.send(command);
          }
        }
      });
      if (scenario.name === 'withdrawal-during-dosing') {
        // Withdrawal closes the course and cancels its dosing session: nothing of it is left running.
        await stack.withWorker(async () => {
          for (let i = 0; i < 50 && (await driver.openRuns()).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
        });
        expect(await driver.openRuns()).toEqual([]);
      }
      const histories = await driver.histories();
      await driver.close();
      await dev?.stop();
      if (scenario.continueAsNewAfterEvents) {
        expect(histories.filter((h) => h.workflowId === courseWorkflowId(courseId)).length).toBeGreaterThan(1);
        // No command lost across the hand-overs: every one was answered, and PostgreSQL holds each event once.
        const [{ count }] = (await stack.db.query('SELECT count(*)::int AS count FROM es.events WHERE stream_id = $1', [`course-${courseId}`])) as { count: number }[];
        expect(count).toBeGreaterThanOrEqual(scenario.script.length);
      }
      const bundle = await bundleCourseWorkflows();
      const dataConverter = dev ? {} : stack.dataConverter;
      for await (const result of Worker.runReplayHistories({ workflowBundle: bundle, dataConverter, sinks: workflowSinks() }, histories.map((h) => ({ workflowId: h.workflowId, history: h.history })))) {
        expect(result.error).toBeUndefined();
      }
      if (process.env['CAPTURE_HISTORIES'] === '1') {
        fs.mkdirSync(HISTORIES, { recursive: true });
        histories.forEach((h, i) => {
          const kind = h.workflowId === courseWorkflowId(courseId) ? 'course' : 'dosing-session';
          fs.writeFileSync(path.join(HISTORIES, `${scenario.name}.${i + 1}.${kind}.json`), historyToJSON(h.history));
        });
      }
    });
  }
});
