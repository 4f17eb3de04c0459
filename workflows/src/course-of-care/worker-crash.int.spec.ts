import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { courseStreamId } from '@care/contracts';
import { createPayloadCodec, temporalDataConverter } from '@care/crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { DataSource } from 'typeorm';
import { createDataSource, runMigrations } from '@care/event-store';
import { at, cmd, esketamineEligible, esketamineVisit, eventsOf, vitals } from '../../../libs/protocol/src/testing/course.fixtures';
import { CourseDriver } from '../../../test/support/course-driver';
import { startWorkerProcess } from '../../../test/support/worker-process';

// The takeover waits out Temporal's task and activity timeouts (tens of seconds, more on a loaded CI machine).
jest.setTimeout(300_000);

/**
 * The worker process is killed (SIGKILL, no chance to clean up) in the middle of a dosing session, while
 * a command is in flight, and a new worker process takes over. The course must go on with no event
 * lost and none written twice. Runs the compiled worker (`npm run build`) exactly as `npm start` does,
 * on the suite's real Temporal dev server: an esketamine course reaches its first dose without waiting.
 */
describe('worker crash during a dosing session', () => {
  let env: TestWorkflowEnvironment;
  let db: DataSource;
  let dataDir: string;
  const taskQueue = `crash-${randomUUID()}`;
  const workers: ChildProcess[] = [];

  const startWorker = async (): Promise<ChildProcess> => {
    const child = await startWorkerProcess({
      TEMPORAL_TASK_QUEUE: taskQueue,
      DATA_DIR: dataDir,
      // The relay's checkpoint is shared by the suite's database; the webhook suite runs it.
      WEBHOOK_RELAY: 'off',
    });
    workers.push(child);
    return child;
  };

  beforeAll(async () => {
    // The worker runs compiled, as under `npm start` (built by the system tier's global set-up).
    env = await TestWorkflowEnvironment.createFromExistingServer({ address: process.env['TEMPORAL_ADDRESS'] });
    db = await createDataSource(process.env['DATABASE_URL']!, 2).initialize();
    await runMigrations(db);
    dataDir = fs.mkdtempSync(path.join(process.env['CARE_TEST_WORK_DIR'] ?? '/tmp', 'crash-data-'));
  }, 300_000);

  afterAll(async () => {
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
    await env?.teardown();
    await db?.destroy();
  });

  it('loses nothing and duplicates nothing when the worker is killed mid-session', async () => {
    const courseId = randomUUID();
    let worker = await startWorker();
    // Same key file as the worker process, which generated it at the embedded default's path.
    const codec = createPayloadCodec({ keysFile: path.join(dataDir, 'keys', 'payload-codec.json'), generateKeys: true });
    const driver = new CourseDriver(env, taskQueue, courseId, { dataConverter: temporalDataConverter(codec), skipTime: false });
    // Eligible, treatment visit started, pre-dose vitals and checks, the dose: the dosing session is running.
    const before = [...esketamineEligible(), ...esketamineVisit('treatment-1', 7, false).slice(0, 4)];
    const inFlight = vitals('treatment-1', 'post_dose', at(7, '09:55'));
    const after = [vitals('treatment-1', 'other', at(7, '10:10')), cmd('RaiseAlert', { sessionKey: 'treatment-1', reason: 'Nausea' }, 'physician', at(7, '10:15'))];
    for (const c of before) {
      if (process.env['CRASH_DEBUG']) process.stderr.write(`send ${c.type}\n`);
      await driver.send(c);
    }

    // A command is on its way when the worker dies; the caller keeps waiting and gets its answer.
    const pending = driver.send(inFlight);
    await new Promise((r) => setTimeout(r, 25));
    worker.kill('SIGKILL');
    await new Promise((r) => worker.once('exit', r));
    worker = await startWorker();
    await pending;
    await driver.sendAll(after);
    await driver.close();

    const rows = (await db.query('SELECT stream_version, event_type, metadata FROM es.events WHERE stream_id = $1 ORDER BY stream_version', [
      courseStreamId(courseId),
    ])) as { stream_version: string; event_type: string; metadata: { actor: { role: string } } }[];
    expect(rows.map((r) => Number(r.stream_version))).toEqual(rows.map((_, i) => i + 1));
    // Exactly the events the protocol decides for this script, once each, in order (timer notices aside).
    const staff = rows.filter((r) => r.metadata.actor.role !== 'system').map((r) => r.event_type);
    expect(staff).toEqual(eventsOf(...before, inFlight, ...after).map((e) => e.type));
  });
});
