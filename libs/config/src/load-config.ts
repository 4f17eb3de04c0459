import * as path from 'node:path';

/** Everything the API and the worker read from their environment, typed and checked once. */
export type AppConfig = {
  /** Where the embedded default keeps its data (PostgreSQL cluster, Temporal SQLite file, dev keys). */
  dataDir: string;
  http: {
    host: string;
    port: number;
    bodyLimit: string;
    /** On SIGTERM: how long the instance keeps serving after readiness turned 503 (for the load balancer to notice). */
    drainDelayMs: number;
  };
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
    /**
     * PEM file of the public key that verifies bearer tokens (embedded default: generated into dataDir).
     * Null when `jwksUrl` is set: exactly one of the two is used.
     */
    publicKeyFile: string | null;
    /** The OIDC provider's JWKS URL (production). */
    jwksUrl: string | null;
    issuer: string;
    audience: string;
    /** Accepted JWS algorithms (asymmetric only; `none` and HMAC are never accepted). */
    algorithms: string[];
  };
  /** Part 11 e-signatures: how recent the signer's last authentication must be. */
  signatures: { maxAuthAgeMinutes: number };
  /** How long a command's caller waits for its outcome before being answered 202 (pending). */
  commands: { answerTimeoutMs: number };
  /** Outbound webhooks. */
  webhooks: {
    /** CIDR list of private networks deliveries may reach anyway (tests, the embedded default); raw, parsed by @care/webhooks. */
    allowedNetworks: string;
    /** Seconds before each attempt (the first is 0); null: the Standard Webhooks schedule (about 3 days). */
    retryScheduleSeconds: number[] | null;
    /** An endpoint failing for this long is disabled. */
    disableAfterHours: number;
    timeoutMs: number;
    /** Whether this worker runs the relay (events -> deliveries); every replica may, they serialise on its checkpoint. */
    relayEnabled: boolean;
  };
  /** Temporal payload encryption (AES-256-GCM). */
  payloadCodec: {
    /** JSON file `{"current": "<key id>", "keys": {"<key id>": "<base64 32 bytes>", ...}}`. */
    keysFile: string;
    /** Whether a missing key file may be generated (only for the default path of the embedded default). */
    generateKeys: boolean;
  };
  /** Browser origins allowed by CORS (the Temporal UI for the codec endpoint); empty: no CORS at all. */
  corsOrigins: string[];
  /** The web console served under /console, and how people sign in to it. */
  console: {
    /** Folder of the built console (index.html and assets); not served when it does not exist. */
    dir: string;
    /**
     * The embedded default's local sign-in: the private half of `auth.publicKeyFile`, with which the API
     * issues tokens to whoever picks a name, role and site. Null (the sign-in is refused and absent)
     * unless set, and never together with an OIDC provider.
     */
    localSignInKeyFile: string | null;
    /** The OIDC provider the console signs in with (authorization code + PKCE); null in the embedded default. */
    oidc: { authority: string; clientId: string; scope: string } | null;
  };
  /** Per-client token bucket: sustained requests per minute (also the burst size). */
  rateLimitPerMinute: number;
  /** Prometheus metrics on a port of their own (`GET /metrics`); off when no port is set. */
  metrics: { port: number | null; host: string };
  /**
   * The worker's Prometheus metrics (`GET /metrics` on `port`): ours, followed by the Temporal SDK
   * runtime's own, which the runtime serves on `temporalRuntimePort` (loopback only) for us to merge.
   */
  workerMetrics: { port: number | null; host: string; temporalRuntimePort: number | null };
  /** What bounds the worker's memory, whatever the number of open courses (README: Sizing the worker). */
  worker: WorkerLimits;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
};

/**
 * The worker's memory bound. A course stays open for months but is busy for minutes at a time: only
 * the courses in the workflow cache occupy the worker's memory, an evicted one is replayed from its
 * history on its next command.
 */
export type WorkerLimits = {
  /** Workflow runs kept in memory (Temporal's `maxCachedWorkflows`); 0 replays every workflow task from its history. */
  maxCachedWorkflows: number;
  /** Workflow tasks (activations, replays included) run at once (`maxConcurrentWorkflowTaskExecutions`); at most the cache size. */
  maxConcurrentWorkflowTasks: number;
  /** Activities (appends, notifications, webhook deliveries) run at once (`maxConcurrentActivityTaskExecutions`). */
  maxConcurrentActivities: number;
  /** V8 old-space limit of the worker process (`--max-old-space-size`, set by whoever starts it). */
  maxHeapMb: number;
};

// Defaults of the worker's memory bound (README: Sizing the worker, which has the measurements).
// - Cache 150 runs: a cached course holds about 2.2-2.9 MB of the workflow thread's heap (every run
//   instantiates the bundle's modules), so 150 runs are about 450 MB. The courses busy at one time (a
//   dosing session records a reading every 15-60 minutes, a visit a handful of commands) are far fewer
//   than the tens of thousands open and idle for weeks, and a course that fell out costs one replay of
//   its history: about 60 ms more on its next command. Unset, the SDK sized the cache from the heap
//   limit (about 2,300 runs for the default 4 GB heap here), so memory grew with every open course.
// - Heap 1024 MB (per isolate: the main thread and the workflow thread each): twice the full cache's
//   live heap, so garbage collection stays cheap on the one workflow thread every course shares; with
//   a live heap near the limit GC took the CPU and starts slowed down. A leak ends in a worker restart,
//   not in a host out of memory.
// - 40 workflow tasks and 100 activities at once: the SDK's defaults, stated so they are visible (the
//   activities wait for the DATABASE_POOL_SIZE connections anyway).
const WORKER_DEFAULTS: WorkerLimits = { maxCachedWorkflows: 150, maxConcurrentWorkflowTasks: 40, maxConcurrentActivities: 100, maxHeapMb: 1024 };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Token algorithms the service may accept: asymmetric only, so a verifier can never be tricked into HMAC with a public key. */
const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** Integer variable in [min, max], its default when unset; a bad value is added to `problems`. */
const intSetting = (env: Env, problems: string[], name: string, fallback: number, min: number, max: number): number => {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    problems.push(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
    return fallback;
  }
  return n;
};

/** The WORKER_MAX_* variables (every problem added to `problems`). */
const readWorkerLimits = (env: Env, problems: string[]): WorkerLimits => {
  const maxCachedWorkflows = intSetting(env, problems, 'WORKER_MAX_CACHED_WORKFLOWS', WORKER_DEFAULTS.maxCachedWorkflows, 0, 100_000);
  if (maxCachedWorkflows === 1) problems.push('WORKER_MAX_CACHED_WORKFLOWS must be 0 (no cache: every workflow task replays) or at least 2, got "1"');
  const maxConcurrentWorkflowTasks = intSetting(env, problems, 'WORKER_MAX_CONCURRENT_WORKFLOW_TASKS', Math.min(WORKER_DEFAULTS.maxConcurrentWorkflowTasks, maxCachedWorkflows || Infinity), 2, 1_000);
  // The SDK would lower it silently; a workflow task needs its run in the cache while it executes.
  if (maxCachedWorkflows > 0 && maxConcurrentWorkflowTasks > maxCachedWorkflows) {
    problems.push(`WORKER_MAX_CONCURRENT_WORKFLOW_TASKS (${maxConcurrentWorkflowTasks}) must not exceed WORKER_MAX_CACHED_WORKFLOWS (${maxCachedWorkflows})`);
  }
  return {
    maxCachedWorkflows,
    maxConcurrentWorkflowTasks,
    maxConcurrentActivities: intSetting(env, problems, 'WORKER_MAX_CONCURRENT_ACTIVITIES', WORKER_DEFAULTS.maxConcurrentActivities, 1, 10_000),
    maxHeapMb: intSetting(env, problems, 'WORKER_MAX_HEAP_MB', WORKER_DEFAULTS.maxHeapMb, 256, 65_536),
  };
};

/**
 * The Node.js options the worker process must be started with (its heap limit, WORKER_MAX_HEAP_MB),
 * for whatever spawns it (`npm start`, the benchmarks). Reads only the WORKER_MAX_* variables.
 */
export const workerNodeOptions = (env: Env = process.env): string[] => {
  const problems: string[] = [];
  const limits = readWorkerLimits(env, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return [`--max-old-space-size=${limits.maxHeapMb}`];
};

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

  const int = (name: string, fallback: number, min: number, max: number): number => intSetting(env, problems, name, fallback, min, max);

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

  const defaultPublicKey = path.join(dataDir, 'keys', 'jwt-public.pem');
  const publicKeyRaw = env['AUTH_PUBLIC_KEY_FILE']?.trim() || '';
  const jwksUrl = env['AUTH_JWKS_URL']?.trim() || '';
  if (publicKeyRaw && jwksUrl) problems.push('AUTH_PUBLIC_KEY_FILE and AUTH_JWKS_URL are both set; set exactly one');
  if (jwksUrl) {
    let url: URL | null = null;
    try {
      url = new URL(jwksUrl);
    } catch {
      problems.push(`AUTH_JWKS_URL must be a URL, got "${jwksUrl}"`);
    }
    // Keys fetched over plain HTTP could be swapped in transit; loopback is allowed for tests.
    if (url && url.protocol !== 'https:' && !(url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname))) {
      problems.push('AUTH_JWKS_URL must use https (http only on 127.0.0.1/localhost)');
    }
  }
  const algorithms = str('AUTH_ALGORITHMS', jwksUrl ? 'RS256,PS256,ES256,EdDSA' : 'EdDSA')
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  const bad = algorithms.filter((a) => !ASYMMETRIC_ALGORITHMS.includes(a));
  if (bad.length > 0 || algorithms.length === 0) {
    problems.push(`AUTH_ALGORITHMS must list some of ${ASYMMETRIC_ALGORITHMS.join(', ')}, got "${env['AUTH_ALGORITHMS'] ?? ''}"`);
  }
  const defaultCodecKeys = path.join(dataDir, 'keys', 'payload-codec.json');
  const codecKeys = path.resolve(cwd, str('PAYLOAD_CODEC_KEYS_FILE', defaultCodecKeys));
  const uiUrl = env['TEMPORAL_UI_URL']?.trim() || null;
  const corsOrigins = (env['CORS_ALLOWED_ORIGINS']?.trim() || (uiUrl ?? ''))
    .split(',')
    .map((o) => o.trim().replace(/\/$/, ''))
    .filter(Boolean);
  for (const origin of corsOrigins) {
    if (origin === '*' || !/^https?:\/\/[^\s/]+$/.test(origin)) problems.push(`CORS_ALLOWED_ORIGINS must list origins such as https://ui.example.org (no "*"), got "${origin}"`);
  }

  const localSignInKey = env['AUTH_LOCAL_SIGN_IN_KEY_FILE']?.trim() || '';
  if (localSignInKey && jwksUrl) problems.push('AUTH_LOCAL_SIGN_IN_KEY_FILE is for the embedded default only; it cannot be set with AUTH_JWKS_URL');
  const oidcAuthority = env['OIDC_AUTHORITY']?.trim() || '';
  const oidcClientId = env['OIDC_CLIENT_ID']?.trim() || '';
  if (Boolean(oidcAuthority) !== Boolean(oidcClientId)) problems.push('OIDC_AUTHORITY and OIDC_CLIENT_ID are set together (the console signs in with both) or not at all');
  if (oidcAuthority && !/^https:\/\/|^http:\/\/(127\.0\.0\.1|localhost)(:|\/|$)/.test(oidcAuthority)) problems.push(`OIDC_AUTHORITY must be an https URL (http only on 127.0.0.1/localhost), got "${oidcAuthority}"`);
  if (oidcAuthority && localSignInKey) problems.push('AUTH_LOCAL_SIGN_IN_KEY_FILE and OIDC_AUTHORITY are both set; the console signs in one way');

  const scheduleRaw = env['WEBHOOK_RETRY_SCHEDULE_SECONDS']?.trim();
  let retryScheduleSeconds: number[] | null = null;
  if (scheduleRaw) {
    retryScheduleSeconds = scheduleRaw.split(',').map((v) => Number(v.trim()));
    if (retryScheduleSeconds.length < 1 || retryScheduleSeconds.length > 20 || retryScheduleSeconds.some((v) => !Number.isFinite(v) || v < 0) || retryScheduleSeconds[0] !== 0) {
      problems.push(`WEBHOOK_RETRY_SCHEDULE_SECONDS must be 1-20 comma-separated seconds starting with 0, got "${scheduleRaw}"`);
    }
  }
  const allowedNetworks = str('WEBHOOK_ALLOWED_NETWORKS', '');
  if (allowedNetworks && !/^[0-9A-Fa-f:./,\s]+$/.test(allowedNetworks)) problems.push(`WEBHOOK_ALLOWED_NETWORKS must be a comma-separated CIDR list, got "${allowedNetworks}"`);

  const workerMetricsPort = env['WORKER_METRICS_PORT']?.trim() ? int('WORKER_METRICS_PORT', 0, 1, 65535) : null;
  const config: AppConfig = {
    dataDir,
    http: {
      host: str('HOST', '127.0.0.1'),
      port: int('PORT', 3000, 0, 65535),
      bodyLimit: str('HTTP_BODY_LIMIT', '100kb'),
      drainDelayMs: int('SHUTDOWN_DRAIN_DELAY_MS', 0, 0, 120_000),
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
      uiUrl,
    },
    auth: {
      publicKeyFile: jwksUrl ? null : path.resolve(cwd, publicKeyRaw || defaultPublicKey),
      jwksUrl: jwksUrl || null,
      issuer: str('AUTH_ISSUER', 'mdma-care-backbone-dev'),
      audience: str('AUTH_AUDIENCE', 'mdma-care-backbone'),
      algorithms,
    },
    signatures: { maxAuthAgeMinutes: int('SIGNATURE_MAX_AUTH_AGE_MINUTES', 5, 1, 60) },
    commands: { answerTimeoutMs: int('COMMAND_ANSWER_TIMEOUT_MS', 30000, 1000, 120000) },
    webhooks: {
      allowedNetworks,
      retryScheduleSeconds,
      disableAfterHours: int('WEBHOOK_DISABLE_AFTER_HOURS', 120, 1, 24 * 365),
      timeoutMs: int('WEBHOOK_TIMEOUT_MS', 15000, 100, 60000),
      relayEnabled: str('WEBHOOK_RELAY', 'on') !== 'off',
    },
    payloadCodec: { keysFile: codecKeys, generateKeys: codecKeys === defaultCodecKeys },
    corsOrigins,
    console: {
      dir: path.resolve(cwd, str('CONSOLE_DIR', 'dist/apps/console')),
      localSignInKeyFile: localSignInKey ? path.resolve(cwd, localSignInKey) : null,
      oidc: oidcAuthority ? { authority: oidcAuthority.replace(/\/$/, ''), clientId: oidcClientId, scope: str('OIDC_SCOPE', 'openid profile') } : null,
    },
    rateLimitPerMinute: int('RATE_LIMIT_PER_MINUTE', 600, 1, 1_000_000),
    metrics: { port: env['METRICS_PORT']?.trim() ? int('METRICS_PORT', 0, 1, 65535) : null, host: str('METRICS_HOST', '127.0.0.1') },
    workerMetrics: {
      port: workerMetricsPort,
      host: str('WORKER_METRICS_HOST', '127.0.0.1'),
      temporalRuntimePort:
        workerMetricsPort === null ? null : int('WORKER_TEMPORAL_METRICS_PORT', workerMetricsPort === 65535 ? 65534 : workerMetricsPort + 1, 1, 65535),
    },
    worker: readWorkerLimits(env, problems),
    logLevel: logLevel as AppConfig['logLevel'],
  };

  if (config.workerMetrics.port !== null && config.workerMetrics.port === config.workerMetrics.temporalRuntimePort) {
    problems.push('WORKER_TEMPORAL_METRICS_PORT must differ from WORKER_METRICS_PORT');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
};
