import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { loadConfig } from '@care/config';
import { CLINICAL_TIME_FIELDS, type CourseCommand } from '@care/protocol';
import { esketamineCompleteCourse, mdmaCompleteCourse } from '../../libs/protocol/src/testing/course.fixtures';
import { createTestSigner } from '../support/dev-keys';
import { http } from '../support/test-stack';
import { startTimeSkipping, type TimeSkippingStack } from '../support/time-skipping';
import { createApp } from '../../apps/api/src/create-app';

/**
 * A complete course of each shipped protocol through the HTTP API, against a real PostgreSQL and
 * Temporal's time-skipping server, so that the nine months of an MDMA-AT course (weeks between visits
 * and the long-term follow-up 6 months after the last dose, which the protocol enforces) pass in seconds.
 * Every command is an HTTP request with a token of the role the protocol requires; the course's history
 * is then read back over HTTP.
 */
describe('complete courses over HTTP (time skipping)', () => {
  let stack: TimeSkippingStack;
  let app: INestApplication;
  let baseUrl: string;
  let signer: Awaited<ReturnType<typeof createTestSigner>>;

  beforeAll(async () => {
    stack = await startTimeSkipping();
    signer = await createTestSigner(path.join(process.env['CARE_TEST_WORK_DIR']!, `keys-${randomUUID()}`), 'iss-full', 'aud-full');
    const config = loadConfig({
      ...process.env,
      TEMPORAL_ADDRESS: stack.env.address,
      TEMPORAL_TASK_QUEUE: stack.taskQueue,
      AUTH_PUBLIC_KEY_FILE: signer.publicKeyFile,
      AUTH_ISSUER: 'iss-full',
      AUTH_AUDIENCE: 'aud-full',
      PAYLOAD_CODEC_KEYS_FILE: stack.payloadKeysFile,
      LOG_LEVEL: 'error',
    });
    app = await createApp(config);
    await app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await app?.close();
    await stack?.stop();
  });

  const tokenFor = (command: CourseCommand) => {
    const { actor } = command.metadata;
    return signer.sign({ sub: actor.id, name: actor.name, role: actor.role, site: actor.siteId, auth_time: Math.floor(Date.now() / 1000) });
  };

  /** Plays a scripted course over HTTP and returns the course id. */
  const play = async (script: CourseCommand[]): Promise<string> => {
    const driver = stack.driver('http-driven');
    let courseId = '';
    await stack.withWorker(async () => {
      for (const command of script) {
        await driver.advanceTo(command.metadata.now);
        const token = await tokenFor(command);
        const data = driver.shiftData(command.data) as Record<string, unknown>;
        // The API's clock is real and the workflow's is skipped ahead, so a signed step names its clinical
        // time (the API would fill in its own clock's), as an integrator entering it at the time would.
        const clinical = CLINICAL_TIME_FIELDS[command.type];
        if (data['signature'] && clinical && (clinical.field === 'performedAt' || clinical.field === 'measuredAt') && data[clinical.field] === undefined) {
          data[clinical.field] = driver.toServer(command.metadata.now);
        }
        const res =
          command.type === 'StartCourse'
            ? await http(baseUrl, 'POST', '/courses', { token, body: { patientRef: `${String(data['patientRef'])}-${randomUUID().slice(0, 8)}`, siteId: data['siteId'], protocolId: data['protocolId'] } })
            : await http(baseUrl, 'POST', `/courses/${courseId}/commands`, { token, body: { type: command.type, data } });
        if (res.status !== 200 && res.status !== 201) {
          throw new Error(`${command.type} at ${command.metadata.now}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
        }
        if (command.type === 'StartCourse') courseId = res.body.courseId;
      }
    });
    return courseId;
  };

  const reader = (site = 'site-a') => signer.sign({ sub: 'u-reader', name: 'Rita Reader', role: 'physician', site });

  it('runs a complete MDMA-AT course (screening, 3 preparatory, 3 dosing + 9 integration sessions, endpoint, long-term follow-up) to completion', async () => {
    const script = mdmaCompleteCourse();
    const courseId = await play(script);
    const token = await reader();
    const state = await http(baseUrl, 'GET', `/courses/${courseId}`, { token });
    expect(state.status).toBe(200);
    expect(state.body).toMatchObject({ status: 'completed', closedReason: 'completed' });
    expect(state.body.sessions.filter((s: { status: string }) => s.status === 'completed')).toHaveLength(15);

    const history = await http(baseUrl, 'GET', `/courses/${courseId}/events`, { token });
    const types: string[] = history.body.events.map((e: { type: string }) => e.type);
    expect(types[0]).toBe('CourseStarted');
    expect(types[types.length - 1]).toBe('CourseCompleted');
    expect(types.filter((t) => t === 'DoseAdministered')).toHaveLength(3);
    expect(types.filter((t) => t === 'PatientDischarged')).toHaveLength(3);
    // Stream versions are gap-free and every staff command left its events (timer notices come on top).
    expect(history.body.events.map((e: { streamVersion: number }) => e.streamVersion)).toEqual(types.map((_, i) => i + 1));
    const staffEvents = history.body.events.filter((e: { metadata: { actor: { role: string } } }) => e.metadata.actor.role !== 'system');
    expect(staffEvents.length).toBeGreaterThanOrEqual(script.length);
  });

  it('runs a complete monitored esketamine course to completion', async () => {
    const courseId = await play(esketamineCompleteCourse());
    const state = await http(baseUrl, 'GET', `/courses/${courseId}`, { token: await reader() });
    expect(state.body).toMatchObject({ status: 'completed' });
  });
});
