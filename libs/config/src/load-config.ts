import * as path from 'node:path';

/** Everything the API and the worker read from their environment, typed and checked once. */
export type AppConfig = {
  /** Where the embedded default keeps its data (PostgreSQL cluster, Temporal SQLite file, dev keys). */
  dataDir: string;
  http: { host: string; port: number; bodyLimit: string };
  database: {
    url: string;
    schema: string;
    poolSize: number;
    /** Role every runtime connection switches to (`care_app`); null runs as the login role. */
    role: string | null;
    /** Login used to apply migrations (the schema owner); defaults to `url`. */
    migrationUrl: string;
  };
  /** The signed global ledger over events and read accesses. */
  ledger: {
    /** PEM PKCS#8 Ed25519 private key that signs checkpoints (embedded default: generated into dataDir). */
    signingKeyFile: string;
    /** Whether a missing key file may be generated (only for the default path of the embedded default). */
    generateSigningKey: boolean;
    /** Names this log in every signed checkpoint. */
    origin: string;
    /** How often the worker integrates new entries and signs a checkpoint. */
    integrateIntervalMs: number;
  };
  projections: { pollIntervalMs: number };
  /** Records are kept at least this long; no code path deletes them at all (see README, Retention). */
  retention: { years: number };
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

  const role = str('DATABASE_ROLE', 'care_app');
  if (role !== 'none' && !/^[a-z_][a-z0-9_]{0,62}$/.test(role)) {
    problems.push(`DATABASE_ROLE must be a lower-case SQL identifier or "none", got "${role}"`);
  }
  const migrationUrl = str('DATABASE_MIGRATION_URL', databaseUrl || 'postgres://unset');
  if (!/^postgres(ql)?:\/\//.test(migrationUrl)) problems.push('DATABASE_MIGRATION_URL must start with postgres:// or postgresql://');

  const defaultLedgerKey = path.join(dataDir, 'keys', 'ledger-signing.pem');
  const ledgerKey = path.resolve(cwd, str('LEDGER_SIGNING_KEY_FILE', defaultLedgerKey));
  // Retention below six years would fall short of HIPAA §164.316(b)(2)(i); refuse rather than warn.
  const retentionYears = int('RETENTION_YEARS', 25, 6, 200);

  const config: AppConfig = {
    dataDir,
    http: {
      host: str('HOST', '127.0.0.1'),
      port: int('PORT', 3000, 0, 65535),
      bodyLimit: str('HTTP_BODY_LIMIT', '100kb'),
    },
    database: {
      url: databaseUrl,
      schema,
      poolSize: int('DATABASE_POOL_SIZE', 10, 1, 200),
      role: role === 'none' ? null : role,
      migrationUrl,
    },
    ledger: {
      signingKeyFile: ledgerKey,
      generateSigningKey: ledgerKey === defaultLedgerKey,
      origin: str('LEDGER_ORIGIN', 'mdma-care-backbone'),
      integrateIntervalMs: int('LEDGER_INTEGRATE_INTERVAL_MS', 10_000, 100, 86_400_000),
    },
    projections: { pollIntervalMs: int('PROJECTIONS_POLL_INTERVAL_MS', 1000, 50, 3_600_000) },
    retention: { years: retentionYears },
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
