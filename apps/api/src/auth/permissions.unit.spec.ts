import { generateKeyPairSync } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Controller, Get, type INestApplication, Module } from '@nestjs/common';
import { DiscoveryModule, NestFactory } from '@nestjs/core';
import { loadConfig } from '@care/config';
import { createApp } from '../create-app';
import { PERMISSIONS, PUBLIC, ROUTE_PERMISSIONS } from './permissions';
import { listRoutes, undeclaredRoutes } from './route-inventory';

/**
 * The real application, built without listening and without servers (both connect lazily). With
 * `localSignIn`, as the embedded default runs it: with the development key, so every route exists.
 */
const buildApp = async (localSignIn = true): Promise<INestApplication> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'routes-'));
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  fs.writeFileSync(path.join(dir, 'jwt-public.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
  fs.writeFileSync(path.join(dir, 'jwt-private.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const config = loadConfig({
    DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
    DATA_DIR: dir,
    TEMPORAL_ADDRESS: '127.0.0.1:1',
    LOG_LEVEL: 'error',
    ...(localSignIn ? { AUTH_LOCAL_SIGN_IN_KEY_FILE: path.join(dir, 'jwt-private.pem') } : {}),
  });
  return createApp(config);
};

describe('permission table', () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await buildApp();
  });
  afterAll(async () => {
    await app.close();
  });

  it('declares a permission for every route the controllers expose (deny by default)', () => {
    const routes = listRoutes(app);
    expect(routes.length).toBeGreaterThan(10);
    expect(undeclaredRoutes(app)).toEqual([]);
    for (const route of routes) expect(ROUTE_PERMISSIONS[route]).toBeDefined();
  });

  it('lists no route that does not exist (a stale entry would hide a renamed route)', () => {
    expect(Object.keys(ROUTE_PERMISSIONS).sort()).toEqual([...new Set(listRoutes(app))].sort());
  });

  it('has no local sign-in route without the development key (an identity provider signs people in)', async () => {
    const withProvider = await buildApp(false);
    expect(listRoutes(withProvider)).not.toContain('POST /auth/local-sign-in');
    expect(listRoutes(withProvider)).toContain('GET /auth/sign-in-options');
    await withProvider.close();
  });

  it('only health probes, sign-in and signed inbound webhooks need no token, and every permission is granted to some role', () => {
    expect(Object.entries(ROUTE_PERMISSIONS).filter(([, p]) => p === PUBLIC).map(([r]) => r)).toEqual([
      'GET /health/live',
      'GET /health/ready',
      'GET /auth/sign-in-options',
      'POST /auth/local-sign-in',
      'POST /webhooks/:sourceId',
    ]);
    for (const roles of Object.values(PERMISSIONS)) expect(roles.length).toBeGreaterThan(0);
  });

  it('is shown in the README exactly as enforced', () => {
    const readme = fs.readFileSync(path.join(__dirname, '../../../../README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Roles and permissions'), readme.indexOf('### Site isolation'));
    const [header, , ...rows] = section.split('\n').filter((l) => l.startsWith('| '));
    const roles = header!.split('|').slice(3, -1).map((c) => c.trim());
    const shown: Record<string, { permission: string; roles: string[] }> = {};
    for (const row of rows) {
      const cells = row.split('|').slice(1, -1).map((c) => c.trim());
      const permission = cells[1]!.replace(/`/g, '');
      for (const route of cells[0]!.split(', ')) {
        shown[route.replace(/`/g, '')] = { permission, roles: roles.filter((_, i) => cells[2 + i] === '✓') };
      }
    }
    const enforced = Object.fromEntries(
      Object.entries(ROUTE_PERMISSIONS).map(([route, p]) => [
        route,
        { permission: p, roles: p === PUBLIC ? roles : roles.filter((r) => (PERMISSIONS[p] as readonly string[]).includes(r)) },
      ]),
    );
    expect(shown).toEqual(enforced);
  });

  it('finds a route missing from the table', async () => {
    @Controller('forgotten')
    class ForgottenController {
      @Get(':id')
      find() {
        return {};
      }
    }
    @Module({ imports: [DiscoveryModule], controllers: [ForgottenController] })
    class ForgottenModule {}
    const other = await NestFactory.create(ForgottenModule, { logger: false });
    expect(undeclaredRoutes(other)).toEqual(['GET /forgotten/:id']);
    await other.close();
  });
});
