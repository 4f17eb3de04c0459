import { Client, Connection } from '@temporalio/client';
import { courseWorkflowId } from '@care/contracts';
import { http, startTestStack, type TestStack } from '../support/test-stack';

// Values that must never leave the service in the clear: a pseudonymous patient reference, free-text
// clinical evidence, a rater reference and a CAPS-5 score.
const PATIENT_REF = 'P-PRIV-58213';
const EVIDENCE = 'Reports nightmares ZX93 since deployment';
const RATER = 'IR-PRIV-4471';
const SCORE = '"total":63';
const SECRETS = [PATIENT_REF, EVIDENCE, RATER, SCORE];

/**
 * Every string and byte array of a message, as text (payload bytes would hold plain JSON if unencrypted).
 * That the metadata's `binary/encrypted` is found proves the bytes are really looked at.
 */
const textOf = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) => {
    // Buffers arrive here already as {type: 'Buffer', data: [...]} (their toJSON runs first).
    if (v && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)) {
      return Buffer.from((v as { data: number[] }).data).toString('utf8');
    }
    if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
    // Protobuf messages render bytes as base64: look at both forms.
    if (typeof v === 'string' && v.length >= 4 && v.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(v)) return `${v} ${Buffer.from(v, 'base64').toString('utf8')}`;
    return typeof v === 'bigint' ? String(v) : v;
  });

/**
 * Personal data stays out of Temporal and out of logs: the raw history, read with a client that has
 * no codec, holds no clinical value; the codec endpoint shows it in the clear to auditors only.
 */
describe('personal data', () => {
  let stack: TestStack;
  let courseId: string;
  let raw: Client;
  let connection: Connection;
  const logged: string[] = [];
  const restore: (() => void)[] = [];

  beforeAll(async () => {
    // Capture everything the process writes while the stack runs (API, worker, Temporal's runtime logs).
    for (const stream of [process.stdout, process.stderr]) {
      const original = stream.write.bind(stream);
      stream.write = ((chunk: unknown, ...rest: unknown[]) => {
        logged.push(String(chunk));
        return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof stream.write;
      restore.push(() => (stream.write = original));
    }
    for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      const spy = jest.spyOn(console, level).mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(' ')));
      restore.push(() => spy.mockRestore());
    }

    stack = await startTestStack({ env: { LOG_LEVEL: 'debug' } });
    const coordinator = await stack.token({});
    const therapist = await stack.token({ sub: 'u-tess', name: 'Tess Therapist', role: 'therapist' });
    const started = await http(stack.baseUrl, 'POST', '/courses', { token: coordinator, body: { patientRef: PATIENT_REF, siteId: 'site-a', protocolId: 'mdma-at-ptsd' } });
    expect(started.status).toBe(201);
    courseId = started.body.courseId;
    const send = (token: string, command: unknown) => http(stack.baseUrl, 'POST', `/courses/${courseId}/commands`, { token, body: command });
    // A refusal whose message and details travel back through Temporal (validator failure).
    const refused = await send(therapist, { type: 'RecordAssessment', data: { instrument: 'CAPS-5', timepoint: 'baseline', values: { total: 63, ptsdDiagnosis: true, raterRef: RATER } } });
    expect(refused.body.code).toBe('STEP_OUT_OF_ORDER');
    expect((await send(coordinator, { type: 'RecordInformedConsent', data: { consentFormVersion: 'v3', consentedAt: new Date().toISOString() } })).status).toBe(200);
    expect((await send(coordinator, { type: 'RecordEligibilityCriterion', data: { criterionId: 'age-18-or-over', outcome: 'pass', evidence: EVIDENCE, signature: { meaning: 'authorship' } } })).status).toBe(200);
    expect((await send(therapist, { type: 'RecordAssessment', data: { instrument: 'CAPS-5', timepoint: 'baseline', values: { total: 63, ptsdDiagnosis: true, raterRef: RATER } } })).status).toBe(200);
    // The API decodes what the worker encrypted: the course reads back in the clear through the API.
    const state = await http(stack.baseUrl, 'GET', `/courses/${courseId}`, { token: coordinator });
    expect(state.body.assessments[0].values.raterRef).toBe(RATER);

    connection = await Connection.connect({ address: stack.config.temporal.address });
    raw = new Client({ connection, namespace: stack.config.temporal.namespace });
  });

  afterAll(async () => {
    await connection?.close();
    await stack?.stop();
    for (const undo of restore.reverse()) undo();
  });

  const history = () =>
    raw.workflowService.getWorkflowExecutionHistory({ namespace: stack.config.temporal.namespace, execution: { workflowId: courseWorkflowId(courseId) } });

  it('keeps every clinical value out of the raw Temporal history (payloads encrypted, key id in the metadata)', async () => {
    const events = (await history()).history!.events!;
    expect(events.length).toBeGreaterThan(5);
    const text = textOf(events);
    for (const secret of SECRETS) expect({ secret, found: text.includes(secret) }).toEqual({ secret, found: false });
    expect(text).toContain('binary/encrypted');
    expect(text).toContain('encryption-key-id');
  });

  it('puts no personal data in the workflow id or the search attributes', async () => {
    const description = await raw.workflow.getHandle(courseWorkflowId(courseId)).describe();
    expect(description.workflowId).toBe(`course-${courseId}`);
    const text = textOf({ id: description.workflowId, sa: description.searchAttributes, memo: description.memo });
    for (const secret of SECRETS) expect(text.includes(secret)).toBe(false);
  });

  it('decodes payloads through the codec endpoint for auditors only, and logs each decode', async () => {
    const events = (await history()).history!.events!;
    const payload = events[0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
    const update = events.find((e) => e.workflowExecutionUpdateAcceptedEventAttributes)!.workflowExecutionUpdateAcceptedEventAttributes!.acceptedRequest!.input!.args!.payloads![0]!;
    const body = {
      payloads: [payload, update].map((p) => ({
        metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
        data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
      })),
    };
    const auditor = await stack.token({ sub: 'u-audrey', name: 'Audrey Auditor', role: 'auditor' });
    const decoded = await http(stack.baseUrl, 'POST', '/codec/decode', { token: auditor, body, headers: { 'x-request-id': 'codec-decode-1' } });
    expect(decoded.status).toBe(200);
    expect(Buffer.from(decoded.body.payloads[1].data, 'base64').toString('utf8')).toContain(PATIENT_REF);
    const [row] = await stack.db.query(`SELECT actor_id, resource, outcome FROM audit.access_log WHERE correlation_id = 'codec-decode-1'`);
    expect(row).toEqual({ actor_id: 'u-audrey', resource: 'temporal-payloads', outcome: 'ok' });
    expect((await http(stack.baseUrl, 'POST', '/codec/decode', { token: await stack.token({}), body })).status).toBe(403);
    expect((await http(stack.baseUrl, 'POST', '/codec/decode', { body })).status).toBe(401);
  });

  it('writes no clinical value to the logs', () => {
    const text = logged.join('\n');
    // The capture saw the API's request log (so it saw the logger at all).
    expect(text).toMatch(/"context":"Http".*"route":"\/courses"/);
    for (const secret of SECRETS) expect({ secret, found: text.includes(secret) }).toEqual({ secret, found: false });
  });
});
