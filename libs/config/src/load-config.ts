import * as path from 'node:path';

/** Everything the API and the worker read from their environment, typed and checked once. */
export type AppConfig = {
  /** Where the embedded default keeps its data (PostgreSQL cluster, Temporal SQLite file, dev keys). */
  dataDir: string;
  http: { host: string; port: number; bodyLimit: string };
  database: { url: string; schema: string; poolSize: number };
  temporal: { address: string; namespace: string; taskQueue: string; uiUrl: string | null };
  auth: {
    /** PEM file of the public key that verifies bearer tokens (embedded default: generated into dataDir). */
    publicKeyFile: string;
    issuer: string;
    audience: string;
  };
  logLevel: 'debug' | 'info' | 'warn' | 'error';
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/**
 * Reads and validates the configuration. Every bad value is named in one error, so an operator
 * fixes them all at once instead of one per restart.
 */
export const loadConfig = (env: Env = process.env, cwd: string = process.cwd()): AppConfig => {
  const problems: string[] = [];

  const str = (name: string, fallback?: string): string => {
    const v = env[name];
    if (v === undefined || v.trim() === '') {
      if (fallback !== undefined) return fallback;
      problems.push(`${name} is required`);
      return '';
    }
    return v.trim();
  };

  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
      return fallback;
    }
    return n;
  };

  const dataDir = path.resolve(cwd, str('DATA_DIR', '.data'));

  const databaseUrl = str('DATABASE_URL');
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push('DATABASE_URL must start with postgres:// or postgresql://');
  }

  const temporalAddress = str('TEMPORAL_ADDRESS', '127.0.0.1:7233');
  if (!/^[^\s:]+:\d{1,5}$/.test(temporalAddress)) {
    problems.push(`TEMPORAL_ADDRESS must be host:port, got "${temporalAddress}"`);
  }

  const logLevel = str('LOG_LEVEL', 'info');
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) {
    problems.push(`LOG_LEVEL must be one of debug, info, warn, error, got "${logLevel}"`);
  }

  const schema = str('DATABASE_SCHEMA', 'care');
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    problems.push(`DATABASE_SCHEMA must be a lower-case SQL identifier, got "${schema}"`);
  }

  const config: AppConfig = {
    dataDir,
    http: {
      host: str('HOST', '127.0.0.1'),
      port: int('PORT', 3000, 0, 65535),
      bodyLimit: str('HTTP_BODY_LIMIT', '100kb'),
    },
    database: { url: databaseUrl, schema, poolSize: int('DATABASE_POOL_SIZE', 10, 1, 200) },
    temporal: {
      address: temporalAddress,
      namespace: str('TEMPORAL_NAMESPACE', 'default'),
      taskQueue: str('TEMPORAL_TASK_QUEUE', 'course-of-care'),
      uiUrl: env['TEMPORAL_UI_URL']?.trim() || null,
    },
    auth: {
      publicKeyFile: path.resolve(cwd, str('AUTH_PUBLIC_KEY_FILE', path.join(dataDir, 'keys', 'jwt-public.pem'))),
      issuer: str('AUTH_ISSUER', 'mdma-care-backbone-dev'),
      audience: str('AUTH_AUDIENCE', 'mdma-care-backbone'),
    },
    logLevel: logLevel as AppConfig['logLevel'],
  };

  if (problems.length > 0) throw new ConfigError(problems);
  return config;
};
