import { ConfigError, loadConfig, workerNodeOptions } from './load-config';

describe('loadConfig', () => {
  const base = { DATABASE_URL: 'postgres://app@127.0.0.1:5432/care' };

  it('applies defaults for an otherwise empty environment', () => {
    const config = loadConfig(base, '/srv/app');
    expect(config.http.port).toBe(3000);
    expect(config.temporal.address).toBe('127.0.0.1:7233');
    expect(config.dataDir).toBe('/srv/app/.data');
    expect(config.auth.publicKeyFile).toBe('/srv/app/.data/keys/jwt-public.pem');
  });

  it('names every bad value in one error', () => {
    let caught: unknown;
    try {
      loadConfig({ PORT: 'eighty', TEMPORAL_ADDRESS: 'nowhere', LOG_LEVEL: 'loud' }, '/srv/app');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const problems = (caught as ConfigError).problems.join('\n');
    expect(problems).toContain('DATABASE_URL is required');
    expect(problems).toContain('PORT must be an integer');
    expect(problems).toContain('TEMPORAL_ADDRESS must be host:port');
    expect(problems).toContain('LOG_LEVEL must be one of');
  });

  it('rejects a database URL of another scheme', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL must start with postgres/);
  });
});

describe('loadConfig: database role, ledger and retention', () => {
  const base = { DATABASE_URL: 'postgres://app@127.0.0.1:5432/care' };

  it('runs as care_app by default, migrates with DATABASE_URL, keeps records 25 years', () => {
    const config = loadConfig(base, '/srv/app');
    expect(config.database.role).toBe('care_app');
    expect(config.database.migrationUrl).toBe(base.DATABASE_URL);
    expect(config.ledger).toMatchObject({ signingKeyFile: '/srv/app/.data/keys/ledger-signing.pem', generateSigningKey: true });
    expect(config.retention.years).toBe(25);
  });

  it('lets an operator run as the login role and bring their own signing key', () => {
    const config = loadConfig({ ...base, DATABASE_ROLE: 'none', LEDGER_SIGNING_KEY_FILE: '/run/secrets/ledger.pem' }, '/srv/app');
    expect(config.database.role).toBeNull();
    expect(config.ledger).toMatchObject({ signingKeyFile: '/run/secrets/ledger.pem', generateSigningKey: false });
  });

  it('refuses a retention period under six years and a malformed role', () => {
    expect(() => loadConfig({ ...base, RETENTION_YEARS: '5' })).toThrow(/RETENTION_YEARS must be/);
    expect(() => loadConfig({ ...base, DATABASE_ROLE: 'Robert"; DROP' })).toThrow(/DATABASE_ROLE must be/);
  });

  it('uses a JWKS URL instead of the key file, and refuses both at once or plain http off loopback', () => {
    const jwks = loadConfig({ ...base, AUTH_JWKS_URL: 'https://idp.example.org/.well-known/jwks.json' }, '/srv/app');
    expect(jwks.auth).toMatchObject({ jwksUrl: 'https://idp.example.org/.well-known/jwks.json', publicKeyFile: null });
    expect(jwks.auth.algorithms).toContain('RS256');
    expect(loadConfig({ ...base, AUTH_JWKS_URL: 'http://127.0.0.1:9999/jwks' }).auth.jwksUrl).toBe('http://127.0.0.1:9999/jwks');
    let caught: unknown;
    try {
      loadConfig({
        ...base,
        AUTH_JWKS_URL: 'http://idp.example.org/jwks',
        AUTH_PUBLIC_KEY_FILE: '/k.pem',
        AUTH_ALGORITHMS: 'HS256,none',
        SIGNATURE_MAX_AUTH_AGE_MINUTES: '0',
        CORS_ALLOWED_ORIGINS: '*',
      });
    } catch (e) {
      caught = e;
    }
    const problems = (caught as ConfigError).problems.join('\n');
    expect(problems).toContain('AUTH_PUBLIC_KEY_FILE and AUTH_JWKS_URL are both set');
    expect(problems).toContain('AUTH_JWKS_URL must use https');
    expect(problems).toContain('AUTH_ALGORITHMS must list');
    expect(problems).toContain('SIGNATURE_MAX_AUTH_AGE_MINUTES must be an integer');
    expect(problems).toContain('CORS_ALLOWED_ORIGINS must list origins');
  });

  it('defaults the signature freshness, the codec key file and CORS to the Temporal UI', () => {
    const config = loadConfig({ ...base, TEMPORAL_UI_URL: 'http://127.0.0.1:8233' }, '/srv/app');
    expect(config.signatures.maxAuthAgeMinutes).toBe(5);
    expect(config.payloadCodec).toEqual({ keysFile: '/srv/app/.data/keys/payload-codec.json', generateKeys: true });
    expect(config.corsOrigins).toEqual(['http://127.0.0.1:8233']);
  });
});

describe('loadConfig: the worker memory bound', () => {
  const base = { DATABASE_URL: 'postgres://app@127.0.0.1:5432/care' };

  it('bounds the workflow cache and the heap by default, whatever the number of open courses', () => {
    expect(loadConfig(base).worker).toEqual({ maxCachedWorkflows: 150, maxConcurrentWorkflowTasks: 40, maxConcurrentActivities: 100, maxHeapMb: 1024 });
    expect(workerNodeOptions(base)).toEqual(['--max-old-space-size=1024']);
  });

  it('takes the operator settings, a small cache lowering the default task concurrency with it', () => {
    const config = loadConfig({
      ...base,
      WORKER_MAX_CACHED_WORKFLOWS: '2000',
      WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '64',
      WORKER_MAX_CONCURRENT_ACTIVITIES: '20',
      WORKER_MAX_HEAP_MB: '2048',
    });
    expect(config.worker).toEqual({ maxCachedWorkflows: 2000, maxConcurrentWorkflowTasks: 64, maxConcurrentActivities: 20, maxHeapMb: 2048 });
    expect(loadConfig({ ...base, WORKER_MAX_CACHED_WORKFLOWS: '16' }).worker.maxConcurrentWorkflowTasks).toBe(16);
    expect(loadConfig({ ...base, WORKER_MAX_CACHED_WORKFLOWS: '0' }).worker).toMatchObject({ maxCachedWorkflows: 0, maxConcurrentWorkflowTasks: 40 });
    expect(workerNodeOptions({ WORKER_MAX_HEAP_MB: '768' })).toEqual(['--max-old-space-size=768']);
  });

  it('names every bad worker setting in one error', () => {
    let caught: unknown;
    try {
      loadConfig({ ...base, WORKER_MAX_CACHED_WORKFLOWS: '1', WORKER_MAX_CONCURRENT_ACTIVITIES: 'many', WORKER_MAX_HEAP_MB: '64' });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const problems = (caught as ConfigError).problems.join('\n');
    expect(problems).toContain('WORKER_MAX_CACHED_WORKFLOWS must be 0 (no cache: every workflow task replays) or at least 2');
    expect(problems).toContain('WORKER_MAX_CONCURRENT_ACTIVITIES must be an integer between 1 and 10000, got "many"');
    expect(problems).toContain('WORKER_MAX_HEAP_MB must be an integer between 256 and 65536, got "64"');
    expect(() => loadConfig({ ...base, WORKER_MAX_CACHED_WORKFLOWS: '20', WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '40' })).toThrow(
      /WORKER_MAX_CONCURRENT_WORKFLOW_TASKS \(40\) must not exceed WORKER_MAX_CACHED_WORKFLOWS \(20\)/,
    );
    expect(() => workerNodeOptions({ WORKER_MAX_HEAP_MB: 'lots' })).toThrow(/WORKER_MAX_HEAP_MB must be an integer/);
  });
});
