import { randomUUID } from 'node:crypto';
import { findProtocol, TOKEN_ROLES, type StaffRole } from '@care/protocol';
import { PUBLIC, roleHas, ROUTE_PERMISSIONS } from '../../apps/api/src/auth/permissions';
import { http, startTestStack, type TestStack } from '../support/test-stack';

type Site = 'own' | 'other';

/** Polls `check` until it holds (or 60 s pass). */
const eventually = async (check: () => Promise<boolean>): Promise<void> => {
  for (const end = Date.now() + 60_000; Date.now() < end; await new Promise((r) => setTimeout(r, 200))) if (await check()) return;
};
type Cell = { status: number | number[]; check?: (body: any) => void };

/**
 * Generated from the permission table: every route x every role x a token of the course's own site or
 * of another site, with the answer each cell must give. A role without the route's permission gets
 * 403 naming it; another site's course is 404 (never revealed); lists of another site are empty.
 */
describe('route x role x site matrix', () => {
  let stack: TestStack;
  let courseId: string;
  let eventId: string;
  let sourceId: string;
  let subscriptionId: string;
  // A site of its own: its subscriptions must match no other suite's courses.
  const OWN = 'site-matrix';
  const OTHER = 'site-b';

  // What a permitted caller gets on each route, for a token of the course's site or of another one.
  const permitted: Record<string, (site: Site, role: string) => Cell> = {
    // Which role may start a course is the protocol's rule (the API only passes the actor along).
    'POST /courses': (site, role) =>
      site === 'own' && findProtocol('mdma-at-ptsd')!.permissions.StartCourse!.includes(role as StaffRole)
        ? { status: 201 }
        : { status: 403, check: (b) => expect(b.code).toBe('ROLE_NOT_PERMITTED') },
    'POST /courses/:courseId/commands': (site) =>
      site === 'own' ? { status: 409, check: (b) => expect(b.code).toBe('VERSION_CONFLICT') } : { status: 404, check: (b) => expect(b.code).toBe('COURSE_NOT_FOUND') },
    // Nobody sent a command with this id: the own site says so, another site's course stays hidden.
    'GET /courses/:courseId/commands/:commandId': (site) =>
      site === 'own' ? { status: 200, check: (b) => expect(b.status).toBe('not_recorded') } : { status: 404, check: (b) => expect(b.code).toBe('COURSE_NOT_FOUND') },
    'GET /courses/:courseId': (site) => (site === 'own' ? { status: 200, check: (b) => expect(b.courseId).toBe(courseId) } : { status: 404 }),
    'GET /courses/:courseId/events': (site) => (site === 'own' ? { status: 200, check: (b) => expect(b.events.length).toBeGreaterThan(0) } : { status: 404 }),
    'GET /courses/:courseId/fhir': (site) => (site === 'own' ? { status: 200, check: (b) => expect(b.resourceType).toBe('Bundle') } : { status: 404 }),
    'GET /courses/:courseId/signatures': (site) => (site === 'own' ? { status: 200, check: (b) => expect(b).toMatchObject({ courseId, siteId: OWN }) } : { status: 404 }),
    'GET /protocols': () => ({ status: 200, check: (b) => expect(b.protocols.map((p: any) => p.id)).toContain('mdma-at-ptsd') }),
    'GET /protocols/:protocolId/versions/:version': () => ({ status: 200, check: (b) => expect(b).toMatchObject({ id: 'mdma-at-ptsd', version: 2 }) }),
    'GET /worklist': (site) => ({ status: 200, check: (b) => expect(b.siteId).toBe(site === 'own' ? OWN : OTHER) }),
    'GET /audit/events': (site) => ({ status: 200, check: (b) => expect(b.entries.length > 0).toBe(site === 'own') }),
    'GET /audit/export': (site) => ({ status: 200, check: (b) => expect(JSON.stringify(b ?? '').includes(courseId)).toBe(site === 'own') }),
    'GET /audit/verify': () => ({ status: 200 }),
    // No integrator runs in the test stack, so the event is recorded but not yet checkpointed (409).
    'GET /audit/events/:eventId/proof': (site) => (site === 'own' ? { status: [200, 409] } : { status: 404, check: (b) => expect(b.code).toBe('EVENT_NOT_FOUND') }),
    'GET /audit/access-log': (site) => ({ status: 200, check: (b) => expect(b.entries.every((e: any) => e.actor.siteId === (site === 'own' ? OWN : OTHER))).toBe(true) }),
    'GET /audit/projections': () => ({ status: 200 }),
    // Failed logins (site "none") and the token's sites' refusals; never another site's.
    'GET /audit/denials': (site) => ({ status: 200, check: (b) => expect(b.entries.every((e: any) => ['none', site === 'own' ? OWN : OTHER].includes(e.actor.siteId))).toBe(true) }),
    // Inbound webhooks need no token but a signature: an unknown source is 401 for everyone.
    'POST /webhooks/:sourceId': () => ({ status: 401, check: (b) => expect(b.code).toBe('UNAUTHENTICATED') }),
    'GET /integrations/event-types': () => ({ status: 200, check: (b) => expect(b.inbound.length).toBeGreaterThan(0) }),
    // Admins manage the integrations of their own site only.
    'POST /integrations/sources': (site) => (site === 'own' ? { status: 201 } : { status: 403 }),
    'GET /integrations/sources': (site) => ({ status: 200, check: (b) => expect(b.sources.every((x: any) => x.siteId === (site === 'own' ? OWN : OTHER))).toBe(true) }),
    'POST /integrations/sources/:sourceId/rotate-secret': (site) => (site === 'own' ? { status: 200 } : { status: 404 }),
    'POST /integrations/subscriptions': (site) => (site === 'own' ? { status: 201 } : { status: 403 }),
    'GET /integrations/subscriptions': (site) => ({ status: 200, check: (b) => expect(b.subscriptions.every((x: any) => x.siteId === (site === 'own' ? OWN : OTHER))).toBe(true) }),
    'GET /integrations/subscriptions/:subscriptionId': (site) => (site === 'own' ? { status: 200 } : { status: 404 }),
    'PATCH /integrations/subscriptions/:subscriptionId': (site) => (site === 'own' ? { status: 200 } : { status: 404 }),
    'POST /integrations/subscriptions/:subscriptionId/rotate-secret': (site) => (site === 'own' ? { status: 200 } : { status: 404 }),
    'POST /integrations/subscriptions/:subscriptionId/recover': (site) => (site === 'own' ? { status: 200 } : { status: 404 }),
    'GET /integrations/subscriptions/:subscriptionId/deliveries': (site) => (site === 'own' ? { status: 200 } : { status: 404 }),
    // No relay runs in this suite, so there is no delivery to read: unknown ids are 404 for every site.
    'GET /integrations/deliveries/:deliveryId': () => ({ status: 404 }),
    'GET /integrations/events/:eventId/deliveries': () => ({ status: 200, check: (b) => expect(b.deliveries).toEqual([]) }),
    'POST /integrations/deliveries/:deliveryId/redeliver': () => ({ status: 404 }),
    'POST /codec/encode': () => ({ status: 200 }),
    'POST /codec/decode': () => ({ status: 200 }),
    'GET /health/live': () => ({ status: 200 }),
    'GET /health/ready': () => ({ status: 200 }),
    // This stack verifies tokens with a key it was given and has no identity provider for the console.
    'GET /auth/sign-in-options': () => ({ status: 200, check: (b) => expect(b.mode).toBe('none') }),
    // Absent without the development key's private half: no token is issued to anyone.
    'POST /auth/local-sign-in': () => ({ status: 404, check: (b) => expect(b.token).toBeUndefined() }),
  };

  const request = (route: string): { method: string; path: string; body?: unknown } => {
    const [method, template] = route.split(' ') as [string, string];
    const path = template
      .replace(':courseId', courseId)
      .replace(':eventId', eventId)
      .replace(':commandId', 'matrix-never-sent')
      .replace(':sourceId', sourceId)
      .replace(':subscriptionId', subscriptionId)
      .replace(':deliveryId', `dlv_${'0'.repeat(32)}`)
      .replace(':protocolId', 'mdma-at-ptsd')
      .replace(':version', '2');
    const query: Record<string, string> = { 'GET /audit/events': `?courseId=${courseId}`, 'GET /audit/export': `?courseId=${courseId}` };
    const bodies: Record<string, unknown> = {
      'POST /courses': { patientRef: `P-MATRIX-${randomUUID().slice(0, 8)}`, siteId: OWN, protocolId: 'mdma-at-ptsd' },
      'POST /courses/:courseId/commands': { type: 'RecordInformedConsent', data: { consentFormVersion: 'v3', consentedAt: new Date().toISOString() }, expectedVersion: 99 },
      'POST /integrations/sources': { name: 'Matrix source', siteId: OWN },
      'POST /auth/local-sign-in': { name: 'Matrix person', role: 'admin', site: OWN },
      'POST /integrations/subscriptions': { url: 'https://hooks.example.org/matrix', siteId: OWN, eventTypes: ['course.started'] },
      'PATCH /integrations/subscriptions/:subscriptionId': { description: 'matrix' },
      'POST /integrations/subscriptions/:subscriptionId/recover': { since: '2026-01-01T00:00:00Z' },
      'POST /codec/encode': { payloads: [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('{}').toString('base64') }] },
      'POST /codec/decode': { payloads: [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('{}').toString('base64') }] },
    };
    return { method, path: path + (query[route] ?? ''), body: bodies[route] };
  };

  beforeAll(async () => {
    stack = await startTestStack();
    const started = await http(stack.baseUrl, 'POST', '/courses', {
      token: await stack.token({ site: OWN }),
      body: { patientRef: 'P-MATRIX', siteId: OWN, protocolId: 'mdma-at-ptsd' },
    });
    expect(started.status).toBe(201);
    courseId = started.body.courseId;
    eventId = started.body.events[0].eventId;
    const admin = await stack.token({ sub: 'u-matrix-admin', role: 'admin', site: OWN });
    sourceId = (await http(stack.baseUrl, 'POST', '/integrations/sources', { token: admin, body: { name: 'Matrix', siteId: OWN } })).body.sourceId;
    subscriptionId = (
      await http(stack.baseUrl, 'POST', '/integrations/subscriptions', { token: admin, body: { url: 'https://hooks.example.org/m', siteId: OWN, eventTypes: ['course.started'] } })
    ).body.subscriptionId;
    expect([sourceId, subscriptionId].every((id) => /^[0-9a-f-]{36}$/.test(id))).toBe(true);
    expect(eventId).toMatch(/^[0-9a-f-]{36}$/);
    // Audit reads stop at the xmin-safe horizon: with other suites' transactions open on the same
    // database, the new course may take a moment to show there. Wait for it before walking the matrix.
    const auditor = await stack.token({ sub: 'u-wait', role: 'auditor', site: OWN });
    await eventually(async () => (await http(stack.baseUrl, 'GET', `/audit/events?courseId=${courseId}`, { token: auditor })).body.entries.length > 0);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('covers every route of the permission table', () => {
    expect(Object.keys(permitted).sort()).toEqual(Object.keys(ROUTE_PERMISSIONS).sort());
  });

  const routes = Object.keys(ROUTE_PERMISSIONS);
  describe.each(routes)('%s', (route) => {
    const permission = ROUTE_PERMISSIONS[route]!;
    it.each(TOKEN_ROLES.flatMap((role) => (['own', 'other'] as Site[]).map((site) => [role, site] as const)))('%s of the %s site', async (role, site) => {
      const token = await stack.token({ sub: `u-${role}-${site}`, name: `Matrix ${role}`, role, site: site === 'own' ? OWN : OTHER });
      const { method, path, body } = request(route);
      const res = await http(stack.baseUrl, method, path, { token, ...(body !== undefined ? { body } : {}) });
      if (permission !== PUBLIC && !roleHas(role, permission)) {
        expect({ status: res.status, body: res.body }).toMatchObject({ status: 403, body: { code: 'PERMISSION_DENIED', details: { permission } } });
        return;
      }
      const cell = permitted[route]!(site, role);
      expect([cell.status].flat()).toContain(res.status);
      cell.check?.(res.body);
    });

    if (permission !== PUBLIC) {
      it('answers 401 without a token', async () => {
        const { method, path, body } = request(route);
        expect((await http(stack.baseUrl, method, path, body !== undefined ? { body } : {})).status).toBe(401);
      });
    }
  });

  it('records refusals by the protocol and by site in the access log', async () => {
    const therapist = await stack.token({ sub: 'u-ther-deny', role: 'therapist', site: OWN });
    const start = await http(stack.baseUrl, 'POST', '/courses', {
      token: therapist,
      body: { patientRef: 'P-MATRIX', siteId: OWN, protocolId: 'mdma-at-ptsd' },
      headers: { 'x-request-id': 'deny-protocol-start' },
    });
    expect(start.body.code).toBe('ROLE_NOT_PERMITTED');
    const auditor = await stack.token({ sub: 'u-aud-deny', role: 'auditor', site: OWN });
    expect((await http(stack.baseUrl, 'GET', '/audit/events?siteId=site-z', { token: auditor, headers: { 'x-request-id': 'deny-site' } })).status).toBe(403);
    const rows = await stack.db.query(
      `SELECT correlation_id, actor_id, action, outcome FROM audit.access_log WHERE correlation_id IN ('deny-protocol-start', 'deny-site') ORDER BY correlation_id`,
    );
    expect(rows).toEqual([
      { correlation_id: 'deny-protocol-start', actor_id: 'u-ther-deny', action: 'access', outcome: 'denied' },
      { correlation_id: 'deny-site', actor_id: 'u-aud-deny', action: 'access', outcome: 'denied' },
    ]);
  });

  it('lets an auditor whose token grants several sites see each of them', async () => {
    const token = await stack.token({ sub: 'u-multi', role: 'auditor', site: [OTHER, OWN] });
    expect((await http(stack.baseUrl, 'GET', `/courses/${courseId}`, { token })).status).toBe(200);
    const page = await http(stack.baseUrl, 'GET', `/audit/events?courseId=${courseId}`, { token });
    expect(page.body.entries.length).toBeGreaterThan(0);
    expect((await http(stack.baseUrl, 'GET', `/audit/events?siteId=site-c`, { token })).status).toBe(403);
    // Site-a's auditors see that the multi-site auditor read their course (logged under the course's site).
    const siteA = await stack.token({ sub: 'u-aud-a', role: 'auditor', site: OWN });
    const readsByMulti = async () =>
      ((await http(stack.baseUrl, 'GET', `/audit/access-log?courseId=${courseId}&limit=500`, { token: siteA })).body.entries as any[])
        .filter((e) => e.actor.id === 'u-multi')
        .map((e) => e.resource as string);
    await eventually(async () => {
      const reads = await readsByMulti();
      return ['course', 'audit-events'].every((r) => reads.includes(r));
    });
    expect(await readsByMulti()).toEqual(expect.arrayContaining(['course', 'audit-events']));
  });
});
