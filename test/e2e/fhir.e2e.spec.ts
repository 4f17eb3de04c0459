import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { loadConfig } from '@care/config';
import { CLINICAL_TIME_FIELDS, type CourseCommand } from '@care/protocol';
import { at, cmd, determineEligible, esketamineCompleteCourse, mdmaScreening, signed } from '../../libs/protocol/src/testing/course.fixtures';
import { courseBundle } from '../../apps/api/src/fhir/course-bundle';
import { completeCourses, mdmaV3CompleteCourse, safetyCourse } from '../../apps/api/src/fhir/testing/course-records';
import { createApp } from '../../apps/api/src/create-app';
import { createTestSigner } from '../support/dev-keys';
import { http } from '../support/test-stack';
import { startTimeSkipping, type TimeSkippingStack } from '../support/time-skipping';

const ROOT = path.resolve(__dirname, '../..');

type Issue = { file: string; severity: string; location: string; messageId: string | null; message: string };
type Summary = { file: string; summary: { error: number; warning: number; information: number } };

/** The validator jar: provisioned by `npm test` before Jest starts (FHIR_VALIDATOR_JAR), else found or built now. */
const validatorJar = (): string => {
  if (process.env['FHIR_VALIDATOR_JAR']) return process.env['FHIR_VALIDATOR_JAR'];
  const built = spawnSync(process.execPath, [path.join(ROOT, 'tools/scripts/lib/fhir-validator.js')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (built.status !== 0) throw new Error('the FHIR validator could not be provisioned (see the output above)');
  return built.stdout.trim().split('\n').pop()!;
};

/** One JVM over every file (the definitions load once, about 10 s): its issues and per-file summaries. */
const validate = (files: string[]): Promise<{ issues: Issue[]; summaries: Map<string, Summary['summary']>; seconds: number; exitCode: number | null }> =>
  new Promise((resolve, reject) => {
    const started = Date.now();
    // C1 only and the serial GC: the run is short, start-up dominates (and the CPUs are shared).
    const child = spawn('java', ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-jar', validatorJar(), ...files], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err = (err + chunk.toString()).slice(-4000)));
    child.once('error', reject);
    child.once('exit', (exitCode) => {
      const lines = out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Issue | Summary);
      const summaries = new Map(lines.filter((l): l is Summary => 'summary' in l).map((l) => [l.file, l.summary]));
      if (summaries.size !== files.length) return reject(new Error(`the validator reported ${summaries.size} of ${files.length} files (exit ${exitCode}): ${err}`));
      resolve({ issues: lines.filter((l): l is Issue => !('summary' in l)), summaries, seconds: (Date.now() - started) / 1000, exitCode });
    });
  });

/**
 * The FHIR export end to end: a complete course of each protocol over HTTP (time skipping, real
 * PostgreSQL), read back as Bundles and validated offline by HAPI FHIR 8.8.1 with the R4 core
 * definitions, together with the pure export of the older protocol versions (which new courses no
 * longer start on) and of the safety path, and with a broken Bundle the validator must catch. One JVM
 * run for all of them.
 */
describe('FHIR R4 export (GET /courses/:courseId/fhir)', () => {
  let stack: TimeSkippingStack;
  let app: INestApplication;
  let baseUrl: string;
  let signer: Awaited<ReturnType<typeof createTestSigner>>;
  const courses: Record<string, string> = {};
  const bundles: Record<string, any> = {};
  let validation: Awaited<ReturnType<typeof validate>>;
  const files: Record<string, string> = {};
  const workDir = path.join(process.env['CARE_TEST_WORK_DIR'] ?? '/tmp', `fhir-${randomUUID()}`);

  const tokenFor = (command: CourseCommand) => {
    const { actor } = command.metadata;
    return signer.sign({ sub: actor.id, name: actor.name, role: actor.role, site: actor.siteId, auth_time: Math.floor(Date.now() / 1000) });
  };
  const reader = (claims: { role?: string; site?: string | string[]; sub?: string } = {}) =>
    signer.sign({ sub: claims.sub ?? 'u-fhir-reader', name: 'Fiona Reader', role: claims.role ?? 'physician', site: claims.site ?? 'site-a' });

  /**
   * Plays a scripted course over HTTP and returns its id. A step may be a function of the events recorded so
   * far (for a step that names an earlier record by its stream version).
   */
  const play = async (script: (CourseCommand | ((recorded: { type: string; streamVersion: number }[]) => CourseCommand))[]): Promise<string> => {
    const driver = stack.driver('http-driven');
    const recorded: { type: string; streamVersion: number }[] = [];
    let courseId = '';
    await stack.withWorker(async () => {
      for (const step of script) {
        const command = typeof step === 'function' ? step(recorded) : step;
        await driver.advanceTo(command.metadata.now);
        const token = await tokenFor(command);
        const data = driver.shiftData(command.data) as Record<string, unknown>;
        // The API's clock is real and the workflow's skipped ahead: a signed step names its clinical time.
        const clinical = CLINICAL_TIME_FIELDS[command.type];
        if (data['signature'] && clinical && (clinical.field === 'performedAt' || clinical.field === 'measuredAt') && data[clinical.field] === undefined) {
          data[clinical.field] = driver.toServer(command.metadata.now);
        }
        const res =
          command.type === 'StartCourse'
            ? await http(baseUrl, 'POST', '/courses', { token, body: { patientRef: `P-FHIR-${randomUUID().slice(0, 8)}`, siteId: data['siteId'], protocolId: data['protocolId'] } })
            : await http(baseUrl, 'POST', `/courses/${courseId}/commands`, { token, body: { type: command.type, data } });
        if (res.status !== 200 && res.status !== 201) throw new Error(`${command.type} at ${command.metadata.now}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
        if (command.type === 'StartCourse') courseId = res.body.courseId;
        recorded.push(...(res.body.events as { type: string; streamVersion: number }[]));
      }
    });
    return courseId;
  };

  beforeAll(async () => {
    stack = await startTimeSkipping();
    signer = await createTestSigner(path.join(workDir, 'keys'), 'iss-fhir', 'aud-fhir');
    const config = loadConfig({
      ...process.env,
      TEMPORAL_ADDRESS: stack.env.address,
      TEMPORAL_TASK_QUEUE: stack.taskQueue,
      AUTH_PUBLIC_KEY_FILE: signer.publicKeyFile,
      AUTH_ISSUER: 'iss-fhir',
      AUTH_AUDIENCE: 'aud-fhir',
      PAYLOAD_CODEC_KEYS_FILE: stack.payloadKeysFile,
      RATE_LIMIT_PER_MINUTE: '100000',
      LOG_LEVEL: 'error',
    });
    app = await createApp(config);
    await app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;

    courses['mdma-at-ptsd'] = await play(mdmaV3CompleteCourse());
    courses['esketamine-monitored'] = await play(esketamineCompleteCourse());
    // The safety path, left open: a suspected serious adverse event (which places a hold) and its signed classification.
    courses['safety'] = await play([
      ...mdmaScreening(),
      determineEligible(),
      cmd('ReportAdverseEvent', { description: 'Palpitations FHIR-E2E-FREE-TEXT', onsetAt: at(0, '14:00'), seriousSuspected: true }, 'therapist', at(0, '14:10')),
      (recorded) =>
        cmd(
          'ClassifyAdverseEvent',
          { adverseEventRef: recorded.find((e) => e.type === 'AdverseEventReported')!.streamVersion, serious: true, aesiCategory: 'cardiac', causality: 'unlikely', severity: 'mild', ...signed('review') },
          'physician',
          at(0, '15:00'),
        ),
    ]);

    const token = await reader();
    fs.mkdirSync(workDir, { recursive: true });
    for (const [name, courseId] of Object.entries(courses)) {
      const res = await http(baseUrl, 'GET', `/courses/${courseId}/fhir`, { token });
      expect({ name, status: res.status }).toEqual({ name, status: 200 });
      bundles[name] = res.body;
      files[name] = path.join(workDir, `${name}.json`);
      fs.writeFileSync(files[name], JSON.stringify(res.body));
    }
    // The older protocol versions and the full safety path, exported by the same pure function.
    for (const { name, events } of [...completeCourses().filter((c) => c.name === 'mdma-at-ptsd-v1' || c.name === 'mdma-at-ptsd-v2'), { name: 'safety-path', events: safetyCourse({ holdCleared: true }) }]) {
      files[`pure:${name}`] = path.join(workDir, `pure-${name}.json`);
      fs.writeFileSync(files[`pure:${name}`], JSON.stringify(courseBundle(events, { exportedAt: new Date().toISOString() })));
    }
    // A broken copy of a real export: an unknown property, an impossible date, a status outside its required value set.
    const broken = structuredClone(bundles['esketamine-monitored']);
    const resourceOf = (type: string) => broken.entry.find((e: any) => e.resource.resourceType === type).resource;
    resourceOf('Patient').favouriteColour = 'green';
    resourceOf('Observation').effectiveDateTime = '2026-02-30T25:61:00Z';
    resourceOf('Encounter').status = 'done';
    files['broken'] = path.join(workDir, 'broken.json');
    fs.writeFileSync(files['broken'], JSON.stringify(broken));

    validation = await validate(Object.values(files));
    const figures = Object.entries(files).map(([name, file]) => `${name} ${JSON.stringify(validation.summaries.get(file))}`);
    process.stderr.write(`[fhir-e2e] validator: ${Object.keys(files).length} files in one JVM run, ${validation.seconds.toFixed(1)} s\n  ${figures.join('\n  ')}\n`);
  }, 900_000);

  afterAll(async () => {
    await app?.close();
    await stack?.stop();
  });

  it.each(['mdma-at-ptsd', 'esketamine-monitored', 'safety', 'pure:mdma-at-ptsd-v1', 'pure:mdma-at-ptsd-v2', 'pure:safety-path'])('%s: the R4 validator finds no error', (name) => {
    const errors = validation.issues.filter((i) => i.file === files[name] && (i.severity === 'error' || i.severity === 'fatal'));
    expect(errors).toEqual([]);
    expect(validation.summaries.get(files[name]!)!.error).toBe(0);
  });

  it('the validator catches the broken Bundle: the unknown property, the bad date and the status, by location', () => {
    const errors = validation.issues.filter((i) => i.file === files['broken'] && i.severity === 'error');
    expect(validation.exitCode).toBe(1);
    expect(errors.length).toBeGreaterThanOrEqual(3);
    const patient = bundles['esketamine-monitored'].entry.findIndex((e: any) => e.resource.resourceType === 'Patient');
    const observation = bundles['esketamine-monitored'].entry.findIndex((e: any) => e.resource.resourceType === 'Observation');
    const encounter = bundles['esketamine-monitored'].entry.findIndex((e: any) => e.resource.resourceType === 'Encounter');
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ location: `Bundle.entry[${patient}].resource`, message: expect.stringContaining('favouriteColour') }),
        expect.objectContaining({ location: expect.stringMatching(new RegExp(`^Bundle\\.entry\\[${observation}\\]\\.resource.*\\.effective`)), message: expect.stringContaining('2026-02-30T25:61:00Z') }),
        expect.objectContaining({ location: expect.stringMatching(new RegExp(`^Bundle\\.entry\\[${encounter}\\]\\.resource.*\\.status$`)), message: expect.stringContaining("'done'") }),
      ]),
    );
  });

  it('answers application/fhir+json with the course as a collection', async () => {
    const res = await fetch(`${baseUrl}/courses/${courses['mdma-at-ptsd']}/fhir`, { headers: { authorization: `Bearer ${await reader()}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
    expect(await res.json()).toMatchObject({ resourceType: 'Bundle', type: 'collection', identifier: { value: courses['mdma-at-ptsd'] } });
  });

  it('names the patient by its pseudonymous reference only, and carries no free text', async () => {
    for (const [name, bundle] of Object.entries(bundles)) {
      const patients = bundle.entry.filter((e: any) => e.resource.resourceType === 'Patient').map((e: any) => e.resource);
      expect({ name, patients: patients.length }).toEqual({ name, patients: 1 });
      expect(Object.keys(patients[0]).sort()).toEqual(['id', 'identifier', 'resourceType']);
      expect(patients[0].identifier).toEqual([{ system: expect.stringMatching(/^https:\/\/.+\/patient-ref$/), value: expect.stringMatching(/^P-FHIR-/) }]);
    }
    // Whole tokens only: a patient reference such as P-FHIR-7a1b... holds the rater's 'IR-7' as a substring.
    const text = JSON.stringify(bundles);
    const found = (secret: string) => new RegExp(`(?<![A-Za-z0-9])${secret.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}(?![A-Za-z0-9])`).test(text);
    for (const secret of ['FHIR-E2E-FREE-TEXT', 'Screening interview and records', 'ECG and labs normal', 'IR-7', 'EC-1', 'ESC-1', 'LOT-1']) expect({ secret, found: found(secret) }).toEqual({ secret, found: false });
    // The check itself finds a value that is there.
    const patientRef = bundles['mdma-at-ptsd'].entry.find((e: any) => e.resource.resourceType === 'Patient').resource.identifier[0].value as string;
    expect(found(patientRef)).toBe(true);
  });

  it('codes vital signs in LOINC with UCUM units, and the PCL-5 in LOINC', () => {
    const observations = bundles['mdma-at-ptsd'].entry.map((e: any) => e.resource).filter((r: any) => r.resourceType === 'Observation');
    const codes = new Set(observations.flatMap((o: any) => [o.code, ...(o.component ?? []).map((c: any) => c.code)]).flatMap((c: any) => c.coding).filter((c: any) => c.system === 'http://loinc.org').map((c: any) => c.code));
    for (const code of ['85354-9', '8480-6', '8462-4', '8867-4', '8310-5', '101697-1', '101698-9']) expect({ code, found: codes.has(code) }).toEqual({ code, found: true });
    const units = new Set(JSON.stringify(observations).match(/"code":"(mm\[Hg\]|\/min|Cel)"/g));
    expect(units.size).toBe(3);
    for (const o of observations.filter((x: any) => x.category?.[0]?.coding?.[0]?.code === 'vital-signs')) {
      expect(o).toMatchObject({ status: 'final', effectiveDateTime: expect.any(String), issued: expect.any(String) });
    }
  });

  it('puts the plan of the course with a standing hold on hold, with its AdverseEvent and safety Flag', () => {
    const resources = bundles['safety'].entry.map((e: any) => e.resource);
    expect(resources.find((r: any) => r.resourceType === 'CarePlan')).toMatchObject({ status: 'on-hold', intent: 'plan' });
    expect(resources.find((r: any) => r.resourceType === 'AdverseEvent')).toMatchObject({ actuality: 'actual', seriousness: { coding: [{ code: 'Serious' }] }, severity: { coding: [{ code: 'mild' }] } });
    expect(resources.find((r: any) => r.resourceType === 'Flag')).toMatchObject({ status: 'active', category: [{ coding: [{ code: 'safety' }] }] });
  });

  it('has a Provenance per e-signature, with the signer, the meaning and the record hash', async () => {
    for (const name of ['mdma-at-ptsd', 'esketamine-monitored', 'safety']) {
      const token = await reader();
      const { body } = await http(baseUrl, 'GET', `/courses/${courses[name]}/events`, { token });
      const { body: state } = await http(baseUrl, 'GET', `/courses/${courses[name]}`, { token });
      const signed = (body.events as any[]).filter((e) => e.data.signature && state.signatures[String(e.streamVersion)]);
      expect(signed.length).toBeGreaterThan(0);
      const provenances = bundles[name].entry.map((e: any) => e.resource).filter((r: any) => r.resourceType === 'Provenance');
      expect({ name, provenances: provenances.length }).toEqual({ name, provenances: new Set(signed.map((e) => e.metadata.commandId)).size });
      for (const event of signed) {
        const { recordHash, signerId, signedAt, meaning } = event.data.signature;
        const match = provenances.find((p: any) => p.signature[0].data && Buffer.from(p.signature[0].data, 'base64').toString('hex') === recordHash);
        expect({ type: event.type, found: match !== undefined }).toEqual({ type: event.type, found: true });
        expect(match.signature[0]).toMatchObject({ when: signedAt, who: { identifier: { value: signerId } }, type: expect.arrayContaining([expect.objectContaining({ code: meaning })]) });
        expect(match.agent[0].who.identifier.value).toBe(signerId);
        expect(match.target.length).toBeGreaterThan(0);
      }
    }
  });

  it('writes the export to the access log, under the course’s site', async () => {
    const courseId = courses['mdma-at-ptsd']!;
    const requestId = `fhir-read-${randomUUID()}`;
    expect((await http(baseUrl, 'GET', `/courses/${courseId}/fhir`, { token: await reader({ sub: 'u-fhir-multi', role: 'auditor', site: ['site-b', 'site-a'] }), headers: { 'x-request-id': requestId } })).status).toBe(200);
    const rows = await stack.db.query(`SELECT actor_id, actor_site, action, resource, course_id, outcome FROM audit.access_log WHERE correlation_id = $1`, [requestId]);
    expect(rows).toEqual([{ actor_id: 'u-fhir-multi', actor_site: 'site-a', action: 'read', resource: 'course-fhir', course_id: courseId, outcome: 'ok' }]);
  });

  it('refuses as GET /courses/:id does: a role without course:read (403), another site (404, logged), an unknown course (404); a malformed id is 400', async () => {
    const courseId = courses['esketamine-monitored']!;
    const same = async (token: string, id: string) => {
      const state = await http(baseUrl, 'GET', `/courses/${id}`, { token });
      const fhir = await http(baseUrl, 'GET', `/courses/${id}/fhir`, { token, headers: { 'x-request-id': `fhir-refused-${randomUUID()}` } });
      const strip = ({ correlationId: _c, ...rest }: Record<string, unknown>) => rest;
      expect({ status: fhir.status, body: strip(fhir.body) }).toEqual({ status: state.status, body: strip(state.body) });
      return fhir;
    };
    const admin = await same(await reader({ role: 'admin' }), courseId);
    expect(admin.body).toMatchObject({ statusCode: 403, code: 'PERMISSION_DENIED', details: { permission: 'course:read' } });
    const otherSite = await same(await reader({ site: 'site-b' }), courseId);
    expect(otherSite.body).toMatchObject({ statusCode: 404, code: 'COURSE_NOT_FOUND' });
    expect(await stack.db.query(`SELECT resource, outcome FROM audit.access_log WHERE correlation_id = $1`, [otherSite.headers.get('x-request-id')])).toEqual([{ resource: 'course-fhir', outcome: 'not_found' }]);
    expect((await same(await reader(), 'c-no-such-course')).body).toMatchObject({ statusCode: 404, code: 'COURSE_NOT_FOUND' });
    expect((await http(baseUrl, 'GET', `/courses/${courseId}/fhir`)).status).toBe(401);
    for (const bad of ['-leading-dash', 'x'.repeat(65), 'a%20b', '%E2%9C%93']) {
      const res = await http(baseUrl, 'GET', `/courses/${bad}/fhir`, { token: await reader() });
      expect({ bad, status: res.status, code: res.body.code, field: res.body.errors?.[0]?.field }).toEqual({ bad, status: 400, code: 'INVALID_REQUEST', field: 'courseId' });
    }
  });
});
