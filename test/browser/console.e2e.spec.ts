import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { ARTEFACTS_DIR, checkPage, launchBrowser, openAs, signIn } from '../support/browser';
import { http, startTestStack, type TestStack } from '../support/test-stack';
import { waitFor, WebhookReceiver } from '../support/webhook-receiver';

// Everything of this suite is at a site of its own, in a database of its own (it runs the webhook relay).
const SITE = 'site-console';
const COORDINATOR = { name: 'Casey Coordinator', role: 'coordinator', site: SITE };
const PHYSICIAN = { name: 'Pat Physician', role: 'physician', site: SITE };
const THERAPIST = { name: 'Terry Therapist', role: 'therapist', site: SITE };
const AUDITOR = { name: 'Audrey Auditor', role: 'auditor', site: SITE };
const ADMIN = { name: 'Ada Admin', role: 'admin', site: SITE };

jest.setTimeout(240_000);

/**
 * The web console in a real browser (Debian's chromium driven by playwright-core) against the real
 * stack (PostgreSQL, the Temporal dev server, a worker, the API serving the built console, a webhook
 * receiver). People sign in with the embedded default's local sign-in, each in a browser context of
 * their own; each page is checked with axe (no serious or critical WCAG 2 A/AA violation) and
 * photographed under tmp/browser/.
 */
describe('the web console', () => {
  let stack: TestStack;
  let browser: Browser;
  let courseId = '';
  const receiver = new WebhookReceiver();
  const metrics: Record<string, number> = {};

  const api = async (role: string, method: string, route: string, body?: unknown) => {
    const token = await stack.token({ sub: `api-${role}`, name: `API ${role}`, role, site: SITE });
    const res = await http(stack.baseUrl, method, route, { token, ...(body !== undefined ? { body } : {}) });
    if (res.status >= 300) throw new Error(`${method} ${route}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const command = (role: string, type: string, data: Record<string, unknown>) => api(role, 'POST', `/courses/${courseId}/commands`, { type, data });

  /** The form of an available step, opened. */
  const openStep = async (page: Page, commandType: string, sessionKey?: string) => {
    const step = page.locator(`[data-testid=available-step][data-command=${commandType}]${sessionKey ? `[data-session="${sessionKey}"]` : ''}`);
    await step.getByRole('button', { name: /^Open the form/ }).click();
    return step.first();
  };
  const recorded = (page: Page) => page.getByRole('alert').filter({ hasText: 'recorded.' }).waitFor();

  beforeAll(async () => {
    const hooks = await receiver.on('/console-hooks', () => ({ status: 204 })).listen();
    stack = await startTestStack({
      localSignIn: true,
      database: 'care_console',
      webhookRelay: true,
      env: { WEBHOOK_ALLOWED_NETWORKS: '127.0.0.2/32', WEBHOOK_RETRY_SCHEDULE_SECONDS: '0,2' },
    });
    const types = (await api('admin', 'GET', '/integrations/event-types')) as { outbound: { type: string }[] };
    await api('admin', 'POST', '/integrations/subscriptions', { url: `${hooks}/console-hooks`, siteId: SITE, eventTypes: types.outbound.map((t) => t.type) });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    fs.mkdirSync(ARTEFACTS_DIR, { recursive: true });
    fs.writeFileSync(path.join(ARTEFACTS_DIR, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
    await browser?.close();
    await stack?.stop();
    await receiver.close();
  });

  it('is served under /console with its own security policy, a bundle whose size is known, and no local sign-in without the key', async () => {
    const page = await http(stack.baseUrl, 'GET', '/console/worklist');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    expect(String(page.body)).not.toMatch(/<script>(?!\s*<\/script>)/);
    const assets = fs.readdirSync(path.resolve(__dirname, '../../dist/apps/console/assets'));
    const gzipped = (name: string) => zlib.gzipSync(fs.readFileSync(path.resolve(__dirname, '../../dist/apps/console/assets', name))).length;
    const entry = assets.find((a) => /^index-.*\.js$/.test(a))!;
    metrics['bundleEntryJsGzipBytes'] = gzipped(entry);
    metrics['bundleCssGzipBytes'] = assets.filter((a) => a.endsWith('.css')).reduce((n, a) => n + gzipped(a), 0);
    metrics['bundleAllJsGzipBytes'] = assets.filter((a) => a.endsWith('.js')).reduce((n, a) => n + gzipped(a), 0);
    expect(metrics['bundleEntryJsGzipBytes']).toBeGreaterThan(0);
    const asset = await fetch(`${stack.baseUrl}/console/assets/${entry}`);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await fetch(`${stack.baseUrl}/console/assets/missing-file.js`)).status).toBe(404);
    // The API itself keeps its JSON-only policy.
    expect((await fetch(`${stack.baseUrl}/health/live`)).headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
  });

  it('a coordinator signs in, sees the worklist, starts a course and records screening in forms generated from the command schemas', async () => {
    const { page, context } = await openAs(browser, stack.baseUrl);
    await page.goto('/console/');
    await page.getByLabel('Your name, as printed on your signatures').waitFor();
    await checkPage(page, '01-sign-in');
    await signIn(page, COORDINATOR);

    // Time to interactive of the worklist: from navigation start to the list (or its empty state) on screen.
    await page.goto('/console/worklist');
    await page.waitForSelector('[data-testid=worklist], [data-testid=worklist-empty]');
    metrics['worklistTimeToInteractiveMs'] = Math.round(await page.evaluate(() => performance.now()));
    await checkPage(page, '02-worklist');

    await page.getByRole('link', { name: 'Start a course' }).first().click();
    await page.getByLabel('Patient reference').fill('P-CONSOLE-1');
    await checkPage(page, '03-start-course');
    await page.getByRole('button', { name: 'Start the course' }).click();
    await page.getByTestId('course-summary').waitFor();
    courseId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    expect(courseId).toMatch(/\S/);
    await expect(page.getByTestId('course-status').textContent()).resolves.toBe('Active');

    const consent = await openStep(page, 'RecordInformedConsent');
    await consent.locator('[data-field=consentFormVersion] input').fill('v3');
    await consent.locator('[data-field=consentsToRecording] input[value=true]').check();
    await consent.getByRole('button', { name: 'Record', exact: true }).click();
    await recorded(page);

    const contact = await openStep(page, 'RecordEmergencyContact');
    await contact.locator('[data-field=contactRef] input').fill('EC-CONSOLE-1');
    await contact.getByRole('button', { name: 'Record', exact: true }).click();
    await recorded(page);

    // The eligibility checklist: one signed step with a row per criterion, generated from the array schema.
    const checklist = await openStep(page, 'RecordEligibilityCriteria');
    const outcomes = checklist.locator('[data-field$=".outcome"]');
    const count = await outcomes.count();
    expect(count).toBeGreaterThan(10);
    for (let i = 0; i < count; i++) await outcomes.nth(i).locator('input[value=pass]').check();
    const evidence = checklist.locator('[data-field$=".evidence"] input, [data-field$=".evidence"] textarea');
    for (let i = 0; i < count; i++) await evidence.nth(i).fill('Screening interview and records');
    await checklist.getByRole('button', { name: 'Review and sign…' }).click();
    const dialog = page.getByTestId('signature-dialog');
    await expect(dialog.getByTestId('signature-preview').textContent()).resolves.toContain('Casey Coordinator');
    await checkPage(page, '04-signature-dialog');
    await dialog.getByRole('button', { name: 'Sign and record' }).click();
    await recorded(page);
    const types = (await api('coordinator', 'GET', `/courses/${courseId}/events`)) as { events: { type: string; data: Record<string, unknown> }[] };
    const criteria = types.events.filter((e) => e.type === 'EligibilityCriterionRecorded');
    expect(criteria).toHaveLength(count);
    expect(criteria.every((e) => (e.data['signature'] as { printedName: string }).printedName === 'Casey Coordinator')).toBe(true);
    await checkPage(page, '05-course-screening');
    await context.close();
  });

  it('a physician signs the eligibility through the signature dialog, signing in again when the sign-in is too old, with the values kept', async () => {
    // The rest of screening, over the API as an integrator would.
    await command('therapist', 'RecordAssessment', { instrument: 'CAPS-5', timepoint: 'baseline', values: { total: 40, ptsdDiagnosis: true, raterRef: 'IR-7' } });
    await command('therapist', 'RecordAssessment', { instrument: 'BDI-II', timepoint: 'baseline', values: { total: 30 } });
    await command('physician', 'RecordMedicalClearance', { cleared: true, evidence: 'ECG and labs normal', signature: { meaning: 'approval' } });
    await command('physician', 'RecordMedicationWashout', { required: false });
    await command('coordinator', 'RecordPregnancyTest', { result: 'negative' });

    const { page, context } = await openAs(browser, stack.baseUrl);
    // Signed in an hour ago: fine to read and record, too old to sign (SIGNATURE_MAX_AUTH_AGE_MINUTES).
    const stale = await stack.signer.sign({ sub: 'local:pat-physician', name: PHYSICIAN.name, role: 'physician', site: SITE, auth_time: Math.floor(Date.now() / 1000) - 3600 }, { expiresIn: '1h' });
    await context.addInitScript(({ token, local }) => {
      // Runs in the page (this file has no DOM types): the session of a person who signed in an hour ago.
      const storage = (globalThis as unknown as { sessionStorage: { getItem: (k: string) => string | null; setItem: (k: string, v: string) => void } }).sessionStorage;
      if (!storage.getItem('care.session')) storage.setItem('care.session', JSON.stringify({ token, local }));
    }, { token: stale, local: PHYSICIAN });
    await page.goto(`/console/courses/${courseId}`);
    const step = await openStep(page, 'DetermineEligibility');
    await step.locator('[data-field=eligible] input[value=true]').check();
    await step.getByRole('button', { name: 'Review and sign…' }).click();
    const dialog = page.getByTestId('signature-dialog');
    const preview = dialog.getByTestId('signature-preview');
    await expect(preview.textContent()).resolves.toContain('Pat Physician');
    await expect(preview.textContent()).resolves.toContain('Approval');
    await dialog.getByRole('button', { name: 'Sign and record' }).click();

    await dialog.getByLabel(/Type your name/).fill('Pat Physician');
    await checkPage(page, '06-signature-reauthentication');
    await dialog.getByRole('button', { name: 'Sign in again' }).click();
    // Back to the same dialog with the same values; nothing was recorded meanwhile.
    await expect(dialog.getByTestId('signature-preview').textContent()).resolves.toContain('Pat Physician');
    const before = (await api('physician', 'GET', `/courses/${courseId}/events`)) as { events: { type: string }[] };
    expect(before.events.some((e) => e.type === 'EligibilityDetermined')).toBe(false);
    await dialog.getByRole('button', { name: 'Sign and record' }).click();
    await recorded(page);
    const after = (await api('physician', 'GET', `/courses/${courseId}/events`)) as { events: { type: string; data: Record<string, any> }[] };
    const determined = after.events.filter((e) => e.type === 'EligibilityDetermined');
    expect(determined).toHaveLength(1);
    expect(determined[0]!.data['eligible']).toBe(true);
    expect(determined[0]!.data['signature']).toMatchObject({ printedName: 'Pat Physician', meaning: 'approval' });
    await expect(page.getByTestId('signatures').textContent()).resolves.toContain('Pat Physician');
    await context.close();
  });

  it('a therapist runs a dosing visit with vitals; a refused dose shows the protocol\'s sentence; the view shows dose, readings against thresholds, the supplemental window and the countdown', async () => {
    for (const key of ['prep-1', 'prep-2', 'prep-3']) {
      await command('therapist', 'StartSession', { sessionKey: key });
      await command('therapist', 'RecordAssessment', { instrument: 'C-SSRS', timepoint: key, values: { suicidalIdeation: false, suicidalBehavior: false } });
      await command('therapist', 'CompleteSession', { sessionKey: key });
    }
    const therapist = await openAs(browser, stack.baseUrl);
    const page = therapist.page;
    await signIn(page, THERAPIST, `/console/courses/${courseId}`);

    const start = await openStep(page, 'StartSession', 'dosing-1');
    await start.getByRole('button', { name: 'Record', exact: true }).click();
    await recorded(page);
    await page.getByTestId('dosing-view').waitFor();

    const vitals = async (timing: string, systolic: string) => {
      const form = await openStep(page, 'RecordVitals');
      await form.locator(`[data-field=timing] input[value=${timing}]`).check();
      await form.locator('[data-field=systolic] input').fill(systolic);
      await form.locator('[data-field=diastolic] input').fill('82');
      await form.locator('[data-field=heartRate] input').fill('74');
      await form.locator('[data-field=temperatureC] input').fill('36.8');
      await form.getByRole('button', { name: 'Record', exact: true }).click();
      await recorded(page);
    };
    await vitals('pre_dose', '128');
    const checks = await openStep(page, 'RecordPreDoseChecks');
    await checks.locator('[data-field=fasting] input[value=true]').check();
    await checks.locator('[data-field=pregnancyTest] input[value=negative]').check();
    await checks.getByRole('button', { name: 'Record', exact: true }).click();
    await recorded(page);

    // The physician doses: first an amount the protocol does not allow, refused in the protocol's words.
    const physician = await openAs(browser, stack.baseUrl);
    await signIn(physician.page, PHYSICIAN, `/console/courses/${courseId}`);
    const dose = await openStep(physician.page, 'AdministerDose');
    await dose.locator('[data-field=amountMg] input').fill('100');
    await dose.locator('[data-field=lotNumber] input').fill('LOT-24-0113');
    await dose.getByRole('button', { name: 'Review and sign…' }).click();
    await physician.page.getByTestId('signature-dialog').getByRole('button', { name: 'Sign and record' }).click();
    const refusal = dose.getByTestId('step-refusal');
    await refusal.waitFor();
    const sentence = await refusal.getByTestId('error-message').textContent();
    const direct = await http(stack.baseUrl, 'POST', `/courses/${courseId}/commands`, {
      token: await stack.token({ sub: 'api-physician', name: 'API physician', role: 'physician', site: SITE }),
      body: { type: 'AdministerDose', data: { sessionKey: 'dosing-1', amountMg: 100, signature: { meaning: 'responsibility' } } },
    });
    expect(direct.status).toBe(422);
    expect(sentence).toBe(direct.body.message);
    await checkPage(physician.page, '07-refused-step');
    await dose.locator('[data-field=amountMg] input').fill('120');
    await dose.getByRole('button', { name: 'Review and sign…' }).click();
    await physician.page.getByTestId('signature-dialog').getByRole('button', { name: 'Sign and record' }).click();
    await recorded(physician.page);
    await physician.context.close();

    // A post-dose reading above the protocol's alert limit (systolic 160 in MDMA-AT).
    await page.reload();
    await vitals('post_dose', '165');
    const view = page.getByTestId('dosing-view');
    await expect(view.getByTestId('initial-dose').textContent()).resolves.toContain('120 mg');
    await expect(view.getByTestId('supplemental-window').textContent()).resolves.toMatch(/^Opens at .* closes at /);
    await expect(view.getByTestId('discharge-countdown').textContent()).resolves.toMatch(/Minimum monitoring: (7 h 5\d|8 h 0) min left/);
    await view.locator('[data-testid=vitals-table] tbody tr').nth(1).waitFor();
    expect(await view.locator('[data-testid=vitals-table] tbody tr').count()).toBe(2);
    await expect(view.locator('.row-alert').textContent()).resolves.toContain('systolic pressure above 160 mmHg');
    expect(await view.locator('svg.chart polyline').count()).toBe(3);
    await checkPage(page, '08-dosing-visit');

    // A serious adverse event places a safety hold at once; the course page says so before anything else.
    await command('therapist', 'ReportAdverseEvent', { description: 'Chest pain', onsetAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), sessionKey: 'dosing-1', seriousSuspected: true });
    await page.reload();
    await expect(page.getByTestId('safety-hold').textContent()).resolves.toContain('Safety hold');
    await expect(page.getByTestId('course-status').textContent()).resolves.toBe('On safety hold');
    await checkPage(page, '09-safety-hold');
    await therapist.context.close();
  });

  it('an auditor finds the signed eligibility, sees its manifestation and verifies the ledger', async () => {
    const { page, context } = await openAs(browser, stack.baseUrl);
    await signIn(page, AUDITOR);
    await page.goto(`/console/audit/events?courseId=${encodeURIComponent(courseId)}&eventType=EligibilityDetermined`);
    const row = page.locator('table tbody tr').filter({ hasText: 'EligibilityDetermined' }).first();
    await row.waitFor();
    await checkPage(page, '10-audit-search');
    await row.getByRole('link').first().click();
    const manifestation = page.getByTestId('signature-manifestation');
    await expect(manifestation.textContent()).resolves.toContain('Pat Physician');
    await expect(manifestation.textContent()).resolves.toContain('approval');
    // The fields of the record signed (the protocol's derived ones are not among them).
    await expect(page.getByTestId('signature-manifestation-fields').textContent()).resolves.toContain('eligible, performedAt');
    // The service rebuilds the signed record from the stored event and the browser hashes it again.
    await page.getByRole('button', { name: 'Check the signature against the record' }).click();
    await expect(page.getByTestId('signature-link-result').textContent()).resolves.toContain('The signature covers this record');
    await expect(page.getByTestId('signature-link-browser').textContent()).resolves.toBe('passed');
    await checkPage(page, '11-audit-entry');
    await page.goto('/console/audit/verify');
    await page.getByRole('button', { name: /Verify/ }).first().click();
    await expect(page.getByTestId('verify-result').textContent()).resolves.toMatch(/Verified/);
    await checkPage(page, '12-audit-verify');
    for (const [route, name] of [
      ['/console/audit/export', '13-audit-export'],
      ['/console/audit/access-log', '14-audit-access-log'],
      ['/console/audit/denials', '15-audit-denials'],
    ] as const) {
      await page.goto(route);
      await page.locator('h1').waitFor();
      await checkPage(page, name);
    }
    await context.close();
  });

  it('an admin sees the delivery attempts of a subscription', async () => {
    await waitFor('a delivery to the receiver', async () => receiver.received.some((r) => r.path === '/console-hooks'), 30_000);
    const { page, context } = await openAs(browser, stack.baseUrl);
    await signIn(page, ADMIN);
    await page.goto('/console/admin/integrations');
    await page.locator('h1').waitFor();
    // A new inbound source: its secret is shown once, and the list of sources never shows it again.
    await page.getByLabel('Name', { exact: true }).fill('Console e-Consent');
    await page.getByRole('button', { name: 'Register source' }).click();
    const secret = await page.getByTestId('secret-value').inputValue();
    expect(secret).toMatch(/^whsec_/);
    await checkPage(page, '16-admin-integrations');
    await page.getByRole('button', { name: 'I have stored it, hide it' }).click();
    await page.getByTestId('source-row').filter({ hasText: 'Console e-Consent' }).waitFor();
    expect(await page.content()).not.toContain(secret);
    await page.getByRole('link', { name: /console-hooks/ }).first().click();
    await page.getByTestId('delivery-row').first().waitFor();
    await checkPage(page, '17-admin-subscription');
    await context.close();
  });
});
