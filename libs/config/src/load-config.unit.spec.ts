import { ConfigError, loadConfig } from './load-config';

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
