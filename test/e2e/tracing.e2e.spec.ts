import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import * as path from 'node:path';
import { startApiProcess } from '../support/api-process';
import { freePort } from '../support/free-port';
import { http, startTestStack, type TestStack } from '../support/test-stack';
import { startWorkerProcess } from '../support/worker-process';

type Span = { service: string; traceId: string; spanId: string; parentSpanId: string; name: string; attributes: Record<string, unknown> };

/**
 * An OTLP/HTTP (JSON) collector on loopback keeping every span it is sent, in memory: what a
 * clinic's OpenTelemetry collector would receive from the API and worker processes.
 */
const startCollector = async (): Promise<{ url: string; spans: Span[]; server: Server }> => {
  const spans: Span[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: Record<string, unknown>[] }[] }[];
      };
      for (const rs of body.resourceSpans ?? []) {
        const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            const attributes = Object.fromEntries(((s['attributes'] as { key: string; value: Record<string, unknown> }[]) ?? []).map((a) => [a.key, Object.values(a.value)[0]]));
            spans.push({ service, traceId: String(s['traceId']), spanId: String(s['spanId']), parentSpanId: String(s['parentSpanId'] ?? ''), name: String(s['name']), attributes });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${port}/v1/traces`, spans, server };
};

/** With the OTEL_* variables set: one command is one connected trace, from the HTTP request to PostgreSQL. */
describe('tracing (OpenTelemetry, API and worker processes)', () => {
  let stack: TestStack;
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let api: { child: ChildProcess; baseUrl: string };
  let worker: ChildProcess;

  beforeAll(async () => {
    collector = await startCollector();
    stack = await startTestStack();
    await stack.stopWorker();
    const otel = {
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: collector.url,
      OTEL_BSP_SCHEDULE_DELAY: '200',
    };
    worker = await startWorkerProcess({
      ...otel,
      DATA_DIR: fs.mkdtempSync(path.join(process.env['CARE_TEST_WORK_DIR'] ?? '/tmp', 'tracing-worker-')),
      TEMPORAL_TASK_QUEUE: stack.config.temporal.taskQueue,
      PAYLOAD_CODEC_KEYS_FILE: stack.config.payloadCodec.keysFile,
      // The relay's checkpoint is the whole database's: the webhook suite owns it.
      WEBHOOK_RELAY: 'off',
    });
    api = await startApiProcess(stack, otel);
  });
  afterAll(async () => {
    for (const child of [api?.child, worker]) {
      if (child && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    }
    await new Promise((r) => collector?.server.close(r));
    await stack?.stop();
  });

  it('follows a command from the HTTP request through the Update, the workflow and the activity into PostgreSQL, and records its trace id', async () => {
    const patientRef = `P-TRACE-${randomUUID().slice(0, 8)}`;
    const coordinator = await stack.token({ sub: 'u-trace', name: 'Tess Tracer', role: 'coordinator', site: 'site-a' });
    const started = await http(api.baseUrl, 'POST', '/courses', { token: coordinator, body: { patientRef, siteId: 'site-a', protocolId: 'mdma-at-ptsd' } });
    expect(started.status).toBe(201);
    const courseId = started.body.courseId as string;
    const consent = await http(api.baseUrl, 'POST', `/courses/${courseId}/commands`, {
      token: coordinator,
      body: { type: 'RecordInformedConsent', data: { consentFormVersion: 'v3', consentedAt: new Date().toISOString() } },
    });
    expect(consent.status).toBe(200);
    // An auditor's filter by patient: its value must not reach a span.
    const auditor = await stack.token({ sub: 'u-trace-auditor', role: 'auditor', site: 'site-a' });
    expect((await http(api.baseUrl, 'GET', `/audit/events?patientRef=${patientRef}`, { token: auditor })).status).toBe(200);

    // The events name the trace that recorded them; the response names it too.
    const [event] = (await stack.db.query(`SELECT metadata FROM es.events WHERE stream_id = $1 AND event_type = 'InformedConsentRecorded'`, [`course-${courseId}`])) as {
      metadata: { correlationId: string };
    }[];
    const traceId = event!.metadata.correlationId;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(consent.headers.get('x-request-id')).toBe(traceId);

    const names = ['POST', 'StartWorkflowUpdate', 'HandleUpdate', 'StartActivity', 'RunActivity:appendEvents'];
    let trace: Span[] = [];
    for (const end = Date.now() + 20_000; Date.now() < end; await new Promise((r) => setTimeout(r, 200))) {
      trace = collector.spans.filter((s) => s.traceId === traceId);
      if (names.every((n) => trace.some((s) => s.name.startsWith(n))) && trace.some((s) => s.service === 'care-worker' && /^pg/.test(s.name))) break;
    }
    const has = (service: string, name: RegExp) => trace.some((s) => s.service === service && name.test(s.name));
    expect(has('care-api', /^POST/)).toBe(true);
    expect(has('care-api', /^StartWorkflowUpdate/)).toBe(true);
    expect(has('care-worker', /^HandleUpdate/)).toBe(true);
    expect(has('care-worker', /^RunActivity:appendEvents$/)).toBe(true);
    expect(has('care-worker', /^pg/)).toBe(true);

    // One connected trace: a single root (the HTTP request), every other span's parent in the trace.
    const ids = new Set(trace.map((s) => s.spanId));
    const roots = trace.filter((s) => !s.parentSpanId || !ids.has(s.parentSpanId));
    expect(roots.map((s) => `${s.service} ${s.name}`)).toEqual([expect.stringMatching(/^care-api POST/)]);
    // The activity's queries hang under the activity.
    const activity = trace.find((s) => s.name === 'RunActivity:appendEvents')!;
    const under = (span: Span, ancestor: Span): boolean => {
      const parent = trace.find((s) => s.spanId === span.parentSpanId);
      return !!parent && (parent.spanId === ancestor.spanId || under(parent, ancestor));
    };
    expect(trace.filter((s) => /^pg/.test(s.name)).some((s) => under(s, activity))).toBe(true);

    // Nothing personal in any span of any trace: no patient, name or clinical value; no query string.
    const everything = JSON.stringify(collector.spans);
    for (const secret of [patientRef, 'Tess Tracer', 'consentFormVersion']) expect(everything).not.toContain(secret);
    // Background polling makes no traces of its own.
    expect(collector.spans.filter((s) => s.service === 'care-worker' && !s.parentSpanId)).toEqual([]);
  });
});
