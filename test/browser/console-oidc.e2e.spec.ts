import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import type { MutableRedirectUri, MutableToken, OAuth2Server as OAuth2ServerType, TokenRequestIncomingMessage } from 'oauth2-mock-server' with { 'resolution-mode': 'import' };
import { checkPage, launchBrowser, openAs } from '../support/browser';
import { http, startTestStack, type TestStack } from '../support/test-stack';

// oauth2-mock-server is an ES module only: Jest's module system (CommonJS here) cannot load it, Node's own
// require can (require(esm), Node >= 20.19). Jest replaces `node:module` too, so Node's own is asked for.
const nodeModule = process.getBuiltinModule('node:module') as typeof import('node:module');
const { OAuth2Server } = nodeModule.createRequire(__filename)('oauth2-mock-server') as { OAuth2Server: typeof OAuth2ServerType };

const SITE = 'site-oidc';
const AUDIENCE = 'care-oidc-audience';
const CLIENT_ID = 'care-console';
/** The person the provider signs in: the claims the API requires of a token (name, role, site). */
const COORDINATOR = { sub: 'idp|casey-coordinator', name: 'Casey Provider-Coordinator', role: 'coordinator', site: SITE };

jest.setTimeout(240_000);

type Authorization = { query: URLSearchParams; code: string; authTime: number };

/**
 * A real OpenID Connect provider on 127.0.0.1 (oauth2-mock-server: discovery, JWKS, authorization
 * code with PKCE, RS256 tokens). Every authorization is recorded with the query the browser sent; it
 * signs `person` in, at `now` or as many seconds ago as the next entry of `authenticatedSecondsAgo`
 * says. Its access tokens carry the claims the API verifies: iss, aud (the API's audience), sub, name,
 * role, site, exp and auth_time (the time of the authorization the code came from).
 */
const startProvider = async () => {
  const server = new OAuth2Server();
  await server.issuer.keys.generate('RS256');
  await server.start(0, '127.0.0.1');
  // Named by the address it listens on (the mock would say "localhost"): the console, the API and the browser agree on it.
  server.issuer.url = `http://127.0.0.1:${server.address().port}`;
  const issuer = server.issuer.url;
  const authorizations: Authorization[] = [];
  const tokenRequests: { code: string; codeVerifier: string }[] = [];
  const grants = new Map<string, Authorization>();
  const state = { person: COORDINATOR, authenticatedSecondsAgo: [] as number[] };

  server.service.on('beforeAuthorizeRedirect', (redirect: MutableRedirectUri, req: IncomingMessage) => {
    const code = redirect.url.searchParams.get('code') ?? '';
    const authorization = { query: new URL(req.url ?? '', issuer).searchParams, code, authTime: Math.floor(Date.now() / 1000) - (state.authenticatedSecondsAgo.shift() ?? 0) };
    authorizations.push(authorization);
    grants.set(code, authorization);
  });
  server.service.on('beforeTokenSigning', (token: MutableToken, req: TokenRequestIncomingMessage) => {
    const code = typeof req.body['code'] === 'string' ? req.body['code'] : '';
    const grant = grants.get(code);
    if (!grant) throw new Error(`token request for an unknown code "${code}"`);
    // The mock builds the ID token with aud = the client id, the access token without any: that one is for the API.
    const accessToken = token.payload['aud'] === undefined;
    if (accessToken) tokenRequests.push({ code, codeVerifier: String(req.body['code_verifier'] ?? '') });
    Object.assign(token.payload, {
      sub: state.person.sub,
      name: state.person.name,
      auth_time: grant.authTime,
      ...(accessToken ? { aud: AUDIENCE, role: state.person.role, site: state.person.site } : {}),
    });
  });

  return {
    issuer,
    jwksUri: `${issuer}/jwks`,
    authorizations,
    tokenRequests,
    state,
    /** A token for calls over the API (as an integration would get one), signed by the provider's key. */
    token: (claims: Record<string, unknown>) =>
      server.issuer.buildToken({ scopesOrTransform: (_header, payload) => Object.assign(payload, { aud: AUDIENCE, auth_time: Math.floor(Date.now() / 1000), ...claims }) }),
    stop: () => server.stop(),
  };
};

/** This tab's sessionStorage, read in the page (this file has no DOM types). */
const tabStorage = (page: Page): Promise<Record<string, string>> =>
  page.evaluate(() => {
    const storage = (globalThis as unknown as { sessionStorage: { length: number; key: (i: number) => string | null; getItem: (k: string) => string | null } }).sessionStorage;
    const entries: Record<string, string> = {};
    for (let i = 0; i < storage.length; i++) {
      const key = storage.key(i);
      if (key !== null) entries[key] = storage.getItem(key) ?? '';
    }
    return entries;
  });

const claimsOf = (jwt: string): Record<string, unknown> => JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;

/**
 * Production sign-in in a real browser: the console signs in with an OpenID Connect provider
 * (authorization code + PKCE), the API verifies the provider's tokens with its JWKS, and a signature
 * with a sign-in that is too old sends the person back to the provider (prompt=login, max_age=0) and
 * returns to the same form, values kept, to sign.
 */
describe('the web console with an OpenID Connect provider', () => {
  let provider: Awaited<ReturnType<typeof startProvider>>;
  let stack: TestStack;
  let browser: Browser;

  const api = async (method: string, route: string, body?: unknown) => {
    const token = await provider.token({ sub: 'idp|api-coordinator', name: 'API coordinator', role: 'coordinator', site: SITE });
    const res = await http(stack.baseUrl, method, route, { token, ...(body !== undefined ? { body } : {}) });
    if (res.status >= 300) throw new Error(`${method} ${route}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };

  /** Every page the browser loads in its main frame, in order (the way to the provider and back). */
  const navigations = (page: Page): string[] => {
    const urls: string[] = [];
    page.on('request', (request) => {
      if (request.isNavigationRequest() && request.frame() === page.mainFrame()) urls.push(request.url());
    });
    return urls;
  };

  beforeAll(async () => {
    provider = await startProvider();
    stack = await startTestStack({
      env: {
        AUTH_PUBLIC_KEY_FILE: '',
        AUTH_JWKS_URL: provider.jwksUri,
        AUTH_ISSUER: provider.issuer,
        AUTH_AUDIENCE: AUDIENCE,
        OIDC_AUTHORITY: provider.issuer,
        OIDC_CLIENT_ID: CLIENT_ID,
      },
    });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await provider?.stop();
  });

  it('offers the provider to sign in with, and has no local sign-in', async () => {
    expect(stack.config.auth).toMatchObject({ publicKeyFile: null, jwksUrl: provider.jwksUri, issuer: provider.issuer, audience: AUDIENCE });
    const options = await http(stack.baseUrl, 'GET', '/auth/sign-in-options');
    expect(options.status).toBe(200);
    expect(options.body).toEqual({ mode: 'oidc', oidc: { authority: provider.issuer, clientId: CLIENT_ID, scope: 'openid profile' }, signatureMaxAuthAgeMinutes: 5 });
    const local = await http(stack.baseUrl, 'POST', '/auth/local-sign-in', { body: { name: 'Mallory', role: 'admin', site: SITE } });
    expect(local.status).toBe(404);
    // The console's policy lets it talk to the provider (discovery and token calls), and to no one else.
    const page = await http(stack.baseUrl, 'GET', '/console/sign-in');
    expect(page.headers.get('content-security-policy')).toContain(`connect-src 'self' ${provider.issuer}`);
  });

  it('signs in with the provider: authorization code with PKCE, back through /console/signed-in, signed in as the name of the token', async () => {
    const { page, context } = await openAs(browser, stack.baseUrl);
    const pages = navigations(page);
    await page.goto('/console/');
    const button = page.getByRole('button', { name: 'Sign in with your organisation' });
    await button.waitFor();
    await expect(page.getByLabel('Your name, as printed on your signatures').count()).resolves.toBe(0);
    await checkPage(page, 'oidc-01-sign-in');

    const before = provider.authorizations.length;
    await button.click();
    await expect(page.getByTestId('signed-in-as').textContent()).resolves.toContain(COORDINATOR.name);
    expect(provider.authorizations).toHaveLength(before + 1);
    const authorization = provider.authorizations[before]!;
    expect(Object.fromEntries(authorization.query)).toMatchObject({
      client_id: CLIENT_ID,
      response_type: 'code',
      scope: 'openid profile',
      redirect_uri: `${stack.baseUrl}/console/signed-in`,
      code_challenge_method: 'S256',
      code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    expect(authorization.query.has('prompt')).toBe(false);
    expect(authorization.query.has('max_age')).toBe(false);
    // The code was exchanged with the verifier of that challenge (the provider checks it too).
    const exchange = provider.tokenRequests.find((t) => t.code === authorization.code);
    expect(exchange).toBeDefined();
    expect(createHash('sha256').update(exchange!.codeVerifier).digest('base64url')).toBe(authorization.query.get('code_challenge'));

    // The browser went to the provider's authorize endpoint, came back to /console/signed-in and on to the worklist.
    const authorizeAt = pages.findIndex((u) => u.startsWith(`${provider.issuer}/authorize?`));
    const callbackAt = pages.findIndex((u) => u.startsWith(`${stack.baseUrl}/console/signed-in?`));
    expect(authorizeAt).toBeGreaterThanOrEqual(0);
    expect(callbackAt).toBeGreaterThan(authorizeAt);
    expect(new URL(pages[callbackAt]!).searchParams.get('code')).toBe(authorization.code);
    await page.waitForURL(`${stack.baseUrl}/console/worklist`);

    // The session holds the provider's access token, which the API accepts as this person.
    const session = JSON.parse((await tabStorage(page))['care.session'] ?? 'null') as { token: string } | null;
    expect(session).not.toBeNull();
    expect(claimsOf(session!.token)).toMatchObject({ iss: provider.issuer, aud: AUDIENCE, sub: COORDINATOR.sub, name: COORDINATOR.name, role: 'coordinator', site: SITE, auth_time: authorization.authTime });
    const courses = await http(stack.baseUrl, 'GET', '/worklist', { token: session!.token });
    expect(courses.status).toBe(200);
    await context.close();
  });

  it('a signature with a sign-in an hour old sends the person back to the provider to sign in again, and returns to the same form to sign', async () => {
    const { page, context } = await openAs(browser, stack.baseUrl);
    const pages = navigations(page);
    // The first authorization of this person was an hour ago: fine to work, too old to sign (5 minutes).
    provider.state.authenticatedSecondsAgo.push(3600);
    const first = provider.authorizations.length;
    await page.goto('/console/');
    await page.getByRole('button', { name: 'Sign in with your organisation' }).click();
    await page.getByTestId('signed-in-as').waitFor();
    expect(provider.authorizations[first]!.authTime).toBeLessThan(Date.now() / 1000 - 3500);

    await page.getByRole('link', { name: 'Start a course' }).first().click();
    await page.getByLabel('Patient reference').fill('P-OIDC-1');
    await page.getByRole('button', { name: 'Start the course' }).click();
    await page.getByTestId('course-summary').waitFor();
    const coursePath = new URL(page.url()).pathname;
    const courseId = decodeURIComponent(coursePath.split('/').pop()!);
    expect(courseId).toMatch(/\S/);
    await api('POST', `/courses/${courseId}/commands`, { type: 'RecordInformedConsent', data: { consentFormVersion: 'v3', consentsToRecording: true, consentedAt: new Date().toISOString() } });
    await api('POST', `/courses/${courseId}/commands`, { type: 'RecordEmergencyContact', data: { contactRef: 'EC-OIDC-1' } });
    await page.reload();

    const checklist = page.locator('[data-testid=available-step][data-command=RecordEligibilityCriteria]');
    await checklist.getByRole('button', { name: /^Open the form/ }).click();
    const outcomes = checklist.locator('[data-field$=".outcome"]');
    await outcomes.first().waitFor();
    const count = await outcomes.count();
    expect(count).toBeGreaterThan(10);
    for (let i = 0; i < count; i++) await outcomes.nth(i).locator('input[value=pass]').check();
    const evidence = checklist.locator('[data-field$=".evidence"] input, [data-field$=".evidence"] textarea');
    expect(await evidence.count()).toBe(count);
    for (let i = 0; i < count; i++) await evidence.nth(i).fill(`Screening record ${i + 1}`);
    await checklist.getByRole('button', { name: 'Review and sign…' }).click();
    const dialog = page.getByTestId('signature-dialog');
    await expect(dialog.getByTestId('signature-preview').textContent()).resolves.toContain(COORDINATOR.name);

    const refused = page.waitForResponse((r) => r.url() === `${stack.baseUrl}/courses/${encodeURIComponent(courseId)}/commands` && r.request().method() === 'POST');
    await dialog.getByRole('button', { name: 'Sign and record' }).click();
    const answer = await refused;
    expect(answer.status()).toBe(401);
    expect(((await answer.json()) as { code: string }).code).toBe('SIGNATURE_REAUTH_REQUIRED');
    const again = dialog.getByRole('button', { name: 'Sign in again with your organisation' });
    await again.waitFor();
    await expect(dialog.getByRole('alert').textContent()).resolves.toContain('within the last 5 minutes');
    // Refused before anything was sent on: nothing recorded, and the person is still signed in.
    const events = () => api('GET', `/courses/${courseId}/events`) as Promise<{ events: { type: string; data: Record<string, unknown> }[] }>;
    expect((await events()).events.filter((e) => e.type === 'EligibilityCriterionRecorded')).toEqual([]);
    await expect(page.getByTestId('signed-in-as').textContent()).resolves.toContain(COORDINATOR.name);

    const second = provider.authorizations.length;
    const navigatedBefore = pages.length;
    await again.click();
    // Back through the provider's authorize endpoint (asking for a fresh authentication) and /console/signed-in.
    // The page is on the course already when the button is pressed: wait for the way back first.
    await page.waitForURL((u) => u.pathname === '/console/signed-in', { waitUntil: 'commit' });
    await page.waitForURL(`${stack.baseUrl}${coursePath}`);
    await page.getByTestId('course-summary').waitFor();
    expect(provider.authorizations).toHaveLength(second + 1);
    const fresh = provider.authorizations[second]!;
    expect(fresh.query.get('prompt')).toBe('login');
    expect(fresh.query.get('max_age')).toBe('0');
    expect(fresh.query.get('response_type')).toBe('code');
    expect(fresh.query.get('code_challenge_method')).toBe('S256');
    expect(Math.abs(fresh.authTime - Date.now() / 1000)).toBeLessThan(60);
    const way = pages.slice(navigatedBefore);
    const authorizeAt = way.findIndex((u) => u.startsWith(`${provider.issuer}/authorize?`) && new URL(u).searchParams.get('prompt') === 'login');
    expect(authorizeAt).toBeGreaterThanOrEqual(0);
    expect(way.findIndex((u) => u.startsWith(`${stack.baseUrl}/console/signed-in?code=${fresh.code}&`))).toBeGreaterThan(authorizeAt);
    const storage = await tabStorage(page);
    expect(claimsOf((JSON.parse(storage['care.session'] ?? '{}') as { token: string }).token)).toMatchObject({ sub: COORDINATOR.sub, auth_time: fresh.authTime });

    // The course page opens the form of the kept values, which reopens the signature dialog.
    await dialog.getByTestId('signature-preview').waitFor();
    await expect(dialog.evaluate((d) => (d as unknown as { open: boolean }).open)).resolves.toBe(true);
    await expect(dialog.getByTestId('signature-preview').textContent()).resolves.toContain(COORDINATOR.name);
    for (let i = 0; i < count; i++) {
      await expect(outcomes.nth(i).locator('input[value=pass]').isChecked()).resolves.toBe(true);
      await expect(evidence.nth(i).inputValue()).resolves.toBe(`Screening record ${i + 1}`);
    }
    // The draft was for the way back only.
    expect(Object.keys(await tabStorage(page)).filter((k) => k.startsWith('care.draft.'))).toEqual([]);
    await checkPage(page, 'oidc-02-signature-after-sign-in-again');

    await dialog.getByRole('button', { name: 'Sign and record' }).click();
    await page.getByRole('alert').filter({ hasText: 'recorded.' }).waitFor();
    const criteria = (await events()).events.filter((e) => e.type === 'EligibilityCriterionRecorded');
    expect(criteria).toHaveLength(count);
    for (const e of criteria) expect(e.data['signature']).toMatchObject({ signerId: COORDINATOR.sub, printedName: COORDINATOR.name, meaning: 'authorship' });
    expect(criteria.map((e) => e.data['evidence']).sort()).toEqual(Array.from({ length: count }, (_, i) => `Screening record ${i + 1}`).sort());
    await context.close();
  });
});
