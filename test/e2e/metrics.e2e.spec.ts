import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startMetricsServer } from '@care/observability';
import { ApiMetrics } from '../../apps/api/src/metrics/api-metrics';
import { http, startTestStack, type TestStack } from '../support/test-stack';

/** The API's Prometheus metrics: on their own port, counting what happened, with nothing personal in them. */
describe('API metrics', () => {
  let stack: TestStack;
  let server: Server;
  let metricsUrl: string;
  const patientRef = `P-METRICS-${randomUUID().slice(0, 8)}`;
  const now = () => Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    stack = await startTestStack({ env: { SIGNATURE_MAX_AUTH_AGE_MINUTES: '5', RATE_LIMIT_PER_MINUTE: '40' } });
    server = await startMetricsServer(stack.app.get(ApiMetrics).registry, 0, '127.0.0.1');
    metricsUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await stack?.stop();
  });

  const scrape = async () => {
    const res = await fetch(metricsUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    return res.text();
  };
  /** The value of one sample (with these labels, or none), 0 when absent. */
  const sample = (text: string, name: string, labels = '') =>
    Number(new RegExp(`^${name}${labels ? `\\{${labels}\\}` : ''} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);

  it('counts commands by type and outcome, times requests by route template, and names no person, course or value', async () => {
    const coordinator = await stack.token({ sub: 'u-metrics', name: 'Mira Metricsdottir', role: 'coordinator', site: 'site-a', auth_time: now() });
    const before = await scrape();
    const started = await http(stack.baseUrl, 'POST', '/courses', { token: coordinator, body: { patientRef, siteId: 'site-a', protocolId: 'mdma-at-ptsd' } });
    expect(started.status).toBe(201);
    const courseId = started.body.courseId as string;
    const consent = await http(stack.baseUrl, 'POST', `/courses/${courseId}/commands`, {
      token: coordinator,
      body: { type: 'RecordInformedConsent', data: { consentFormVersion: 'v3', consentedAt: new Date().toISOString() } },
    });
    expect(consent.status).toBe(200);
    // A step that needs a signature, signed with a sign-in too old for it.
    const stale = await stack.token({ sub: 'u-metrics', name: 'Mira Metricsdottir', role: 'coordinator', site: 'site-a', auth_time: now() - 3600 });
    const refused = await http(stack.baseUrl, 'POST', `/courses/${courseId}/commands`, {
      token: stale,
      body: { type: 'RecordEligibilityCriterion', data: { criterionId: 'age-18-or-over', outcome: 'pass', evidence: 'ID checked', signature: { meaning: 'authorship' } } },
    });
    expect(refused.body.code).toBe('SIGNATURE_REAUTH_REQUIRED');
    expect((await http(stack.baseUrl, 'GET', `/courses/${courseId}`, { token: coordinator })).status).toBe(200);

    const after = await scrape();
    const delta = (name: string, labels: string) => sample(after, name, labels) - sample(before, name, labels);
    expect(delta('care_api_commands_total', 'type="StartCourse",outcome="RECORDED"')).toBe(1);
    expect(delta('care_api_commands_total', 'type="RecordInformedConsent",outcome="RECORDED"')).toBe(1);
    expect(delta('care_api_commands_total', 'type="RecordEligibilityCriterion",outcome="SIGNATURE_REAUTH_REQUIRED"')).toBe(1);
    expect(delta('care_api_signature_reauthentications_total', '')).toBe(1);
    expect(delta('care_api_request_duration_seconds_count', 'method="GET",route="/courses/:courseId",status="200"')).toBe(1);
    expect(delta('care_api_request_duration_seconds_count', 'method="POST",route="/courses/:courseId/commands",status="401"')).toBe(1);
    expect(after).toMatch(/^care_api_process_cpu_seconds_total /m);
    // Nothing of the request in any label or value: no patient, course, person or token.
    for (const secret of [patientRef, courseId, 'u-metrics', 'Mira', 'Metricsdottir', coordinator.slice(-20)]) expect(after).not.toContain(secret);
  });

  it('counts rate-limit refusals, and serves nothing but GET /metrics', async () => {
    const token = await stack.token({ sub: `u-flood-${randomUUID().slice(0, 6)}`, role: 'coordinator', site: 'site-a' });
    const before = sample(await scrape(), 'care_api_rate_limited_total');
    const answers = await Promise.all(Array.from({ length: 60 }, () => http(stack.baseUrl, 'GET', '/worklist', { token })));
    const limited = answers.filter((a) => a.status === 429).length;
    expect(limited).toBeGreaterThan(0);
    expect(sample(await scrape(), 'care_api_rate_limited_total') - before).toBe(limited);
    expect((await fetch(metricsUrl.replace('/metrics', '/'))).status).toBe(404);
    expect((await fetch(metricsUrl, { method: 'POST' })).status).toBe(404);
  });
});
