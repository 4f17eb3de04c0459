import * as fs from 'node:fs';
import * as path from 'node:path';
import { load } from 'js-yaml';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { ApiMetrics } from '../../apps/api/src/metrics/api-metrics';
import { WorkerMetrics } from '../../apps/worker/src/metrics/worker-metrics';

/**
 * The monitoring files in docker/ (Prometheus scrape config, alert rules, Grafana dashboard) against
 * the metrics the code really defines: every care_* name they use exists with the labels used, every
 * temporal_* name is one the Temporal SDK core emits (as configured), the alerts the clinic relies on
 * exist and are complete, no label outside a closed set (so no personal data) appears anywhere, and
 * README.md documents every metric. No server: the registries are read, never scraped.
 */

const ROOT = path.resolve(__dirname, '../..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

type Rule = { alert?: string; record?: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
type RuleFile = { groups: { name: string; rules: Rule[] }[] };
type ScrapeConfig = { job_name: string; metrics_path?: string; dns_sd_configs?: { names: string[]; port: number }[]; static_configs?: { targets: string[] }[] };
type PrometheusConfig = { rule_files: string[]; scrape_configs: ScrapeConfig[] };
type Target = { expr: string; legendFormat?: string; datasource?: { type?: string; uid?: string } };
type Panel = { id: number; type: string; title: string; gridPos: { x: number; y: number; w: number; h: number }; datasource?: { type?: string; uid?: string }; targets?: Target[]; panels?: Panel[] };
type Dashboard = { uid: string; title: string; schemaVersion: number; panels: Panel[]; templating: { list: { name: string; type: string; query: string }[] } };

const prometheus = load(read('docker/prometheus/prometheus.yml')) as PrometheusConfig;
const rules = load(read('docker/prometheus/alerts.yml')) as RuleFile;
const dashboard = JSON.parse(read('docker/grafana/dashboards/care-backbone.json')) as Dashboard;
const alerts = rules.groups.flatMap((g) => g.rules);
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const targets = panels.flatMap((p) => p.targets ?? []);

const apiMetrics = new ApiMetrics();
const workerMetrics = new WorkerMetrics({
  db: async () => {
    throw new Error('no database in a unit test');
  },
});

/** What prom-client keeps of a metric at run time (its typings leave labelNames out, and type is a word). */
type Defined = { name: string; type: string; labelNames: readonly string[] };
const definitions = (registry: Registry): Defined[] =>
  registry.getMetricsAsArray().map((m) => {
    const metric = m as unknown as { name: string; type: string; labelNames?: readonly string[] };
    return { name: metric.name, type: String(metric.type), labelNames: metric.labelNames ?? [] };
  });
const defined = new Map([...definitions(apiMetrics.registry), ...definitions(workerMetrics.registry)].map((d) => [d.name, d]));

/** prom-client's default process metrics under a prefix: documented as families, not one by one. */
const defaultNames = (prefix: string): string[] => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix });
  return definitions(registry).map((d) => d.name);
};
const defaults = new Set([...defaultNames('care_api_'), ...defaultNames('care_worker_')]);
const applicationMetrics = [...defined.keys()].filter((name) => !defaults.has(name));

const METRIC = /\b(?:care_(?:api|worker)_[a-z0-9_]+|temporal_[a-z0-9_]+)\b/g;
const metricNames = (expr: string) => [...new Set(expr.match(METRIC) ?? [])];
const HISTOGRAM_SERIES = /^(.+)_(bucket|sum|count)$/;

/** The metric a series name belongs to: itself, or the histogram whose _bucket/_sum/_count it is. */
const resolveCare = (series: string): { metric: Defined; suffix: string | null } | null => {
  const direct = defined.get(series);
  if (direct) return { metric: direct, suffix: null };
  const [, base, suffix] = HISTOGRAM_SERIES.exec(series) ?? [];
  const metric = base ? defined.get(base) : undefined;
  if (metric && suffix && (metric.type === 'histogram' || (metric.type === 'summary' && suffix !== 'bucket'))) return { metric, suffix };
  return null;
};

const alertExprs = alerts.map((r) => ({ where: `alert ${r.alert ?? r.record}`, expr: r.expr }));
const dashboardExprs = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel "${p.title}"`, expr: t.expr })));
const allExprs = [...alertExprs, ...dashboardExprs];

/** Label names PromQL mentions: in selectors (with the metric they select, when named) and in clauses. */
const selectors = (expr: string) =>
  [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*\{([^}]*)\}/g)].map(([, metric, body]) => ({
    metric: metric ?? null,
    matchers: [...(body ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"([^"]*)"/g)].map(([, name, op, value]) => ({ name: name!, op: op!, value: value! })),
  }));
const clauseLabels = (expr: string) =>
  [...expr.matchAll(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g)].flatMap(([, list]) =>
    (list ?? '').split(',').map((l) => l.trim()).filter(Boolean),
  );

/**
 * Every label a series, an alert or a legend may show. The application's are closed sets by
 * construction (api-metrics.ts, worker-metrics.ts); Temporal's are the SDK core's own (code names,
 * never a workflow's input); the rest are Prometheus'.
 */
const ALLOWED_LABELS = new Set([
  // application
  'method', 'route', 'status', 'type', 'outcome', 'projection', 'subscription',
  // Prometheus
  'instance', 'job', 'le',
  // Temporal SDK core (sdk-core telemetry/metrics.rs, client/metrics.rs)
  'namespace', 'task_queue', 'workflow_type', 'activity_type', 'poller_type', 'worker_type', 'failure_reason', 'eager', 'service_name', 'operation', 'status_code',
]);
/** The labels an alert rule may add itself. */
const ALERT_RULE_LABELS = new Set(['severity', 'component']);
const SEVERITIES = new Set(['critical', 'warning', 'info']);

describe('monitoring configuration (docker/prometheus, docker/grafana)', () => {
  it('the registries are what this test reads: the application metrics of both processes', () => {
    // A guard for the test itself: if prom-client stopped exposing definitions, every check would pass vacuously.
    expect(applicationMetrics).toEqual(
      expect.arrayContaining(['care_api_request_duration_seconds', 'care_api_commands_total', 'care_worker_polling', 'care_worker_webhook_endpoint_failing_seconds']),
    );
    expect(defined.get('care_api_request_duration_seconds')?.labelNames).toEqual(['method', 'route', 'status']);
    expect(defaults.has('care_worker_process_resident_memory_bytes')).toBe(true);
  });

  describe('prometheus.yml', () => {
    it('scrapes the api and the worker services of compose.yaml on their metrics ports, and loads the alert rules', () => {
      const compose = load(read('docker/compose.yaml')) as { services: Record<string, { environment?: Record<string, string>; ports?: string[] }> };
      const jobs = new Map(prometheus.scrape_configs.map((c) => [c.job_name, c]));
      const expectTarget = (job: string, service: string, portVar: string, hostVar: string) => {
        const sd = jobs.get(job)?.dns_sd_configs?.[0];
        expect(sd?.names).toEqual([service]);
        const env = compose.services[service]?.environment ?? {};
        expect(String(sd?.port)).toBe(env[portVar]);
        // Reachable on the compose network, and never published to the host.
        expect(env[hostVar]).toBe('0.0.0.0');
        expect((compose.services[service]?.ports ?? []).some((p) => String(p).includes(String(sd?.port)))).toBe(false);
      };
      expectTarget('api', 'api', 'METRICS_PORT', 'METRICS_HOST');
      expectTarget('worker', 'worker', 'WORKER_METRICS_PORT', 'WORKER_METRICS_HOST');
      expect(prometheus.rule_files).toEqual(['alerts.yml']);
      // Grafana and Prometheus answer on the host's loopback only.
      for (const service of ['prometheus', 'grafana']) {
        for (const port of compose.services[service]?.ports ?? []) expect(String(port)).toMatch(/^127\.0\.0\.1:/);
      }
    });

    it('every job an expression selects is one prometheus.yml scrapes', () => {
      const jobs = new Set(prometheus.scrape_configs.map((c) => c.job_name));
      const unknown = allExprs.flatMap(({ where, expr }) =>
        selectors(expr).flatMap((s) =>
          s.matchers
            .filter((m) => m.name === 'job')
            .flatMap((m) => (m.op === '=~' ? m.value.split('|') : [m.value]))
            .filter((job) => !jobs.has(job))
            .map((job) => `${where}: job "${job}"`),
        ),
      );
      expect(unknown).toEqual([]);
    });
  });

  describe('metric names', () => {
    it('every care_* metric the alerts and the dashboard use is defined, with the labels they select on', () => {
      const problems: string[] = [];
      for (const { where, expr } of allExprs) {
        for (const name of metricNames(expr).filter((n) => n.startsWith('care_'))) {
          if (!resolveCare(name)) problems.push(`${where}: ${name} is not a metric of ApiMetrics or WorkerMetrics`);
        }
        for (const { metric, matchers } of selectors(expr)) {
          if (!metric?.startsWith('care_')) continue;
          const resolved = resolveCare(metric);
          if (!resolved) continue;
          const labels = new Set([...resolved.metric.labelNames, 'job', 'instance', ...(resolved.suffix === 'bucket' ? ['le'] : [])]);
          for (const m of matchers) if (!labels.has(m.name)) problems.push(`${where}: ${metric} has no label "${m.name}"`);
          // Each process's metrics come from its own job.
          const job = matchers.find((m) => m.name === 'job');
          const expected = metric.startsWith('care_api_') ? 'api' : 'worker';
          if (job?.op !== '=' || job.value !== expected) problems.push(`${where}: ${metric} must be selected with job="${expected}"`);
        }
      }
      expect(problems).toEqual([]);
    });

    it('counters are read through rate() or increase(), histograms through their _bucket/_sum/_count series', () => {
      const problems: string[] = [];
      for (const { where, expr } of allExprs) {
        for (const name of metricNames(expr).filter((n) => n.startsWith('care_'))) {
          const resolved = resolveCare(name);
          if (!resolved) continue;
          if (resolved.metric.type === 'histogram' && resolved.suffix === null) problems.push(`${where}: histogram ${name} used without _bucket/_sum/_count`);
          const counterLike = resolved.metric.type === 'counter' || resolved.suffix === 'count' || resolved.suffix === 'sum' || resolved.suffix === 'bucket';
          if (counterLike && !new RegExp(`\\b(?:rate|irate|increase)\\(\\s*${name}\\b`).test(expr)) problems.push(`${where}: ${name} is a counter: use rate() or increase()`);
        }
      }
      expect(problems).toEqual([]);
    });

    it('whole-database backlog gauges are read with max(), never summed over workers', () => {
      const BACKLOG = /\bsum\s*(?:by\s*\([^)]*\)\s*)?\(\s*(care_worker_(?:projection_lag|ledger_lag|ledger_checkpoint|webhook_outbox|webhook_deliveries|webhook_oldest|webhook_endpoint_failing)\w*)/;
      expect(allExprs.filter(({ expr }) => BACKLOG.test(expr)).map(({ where, expr }) => `${where}: ${expr}`)).toEqual([]);
    });

    describe('temporal_* metrics (merged into the worker scrape by the Temporal SDK runtime)', () => {
      const workerPackage = path.dirname(require.resolve('@temporalio/worker/package.json'));
      const coreBridge = path.dirname(require.resolve('@temporalio/core-bridge/package.json', { paths: [workerPackage] }));

      /** The SDK core's metric definitions: its vendored Rust sources, or else its native module. */
      const coreText = (): string => {
        const sources: string[] = [];
        const walk = (dir: string): void => {
          for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
            const full = path.join(dir, entry.name);
            if (entry.isDirectory() && entry.name !== 'tests' && entry.name !== 'target') walk(full);
            else if (entry.isFile() && entry.name === 'metrics.rs') sources.push(fs.readFileSync(full, 'utf8'));
          }
        };
        const crates = path.join(coreBridge, 'sdk-core', 'crates');
        if (fs.existsSync(crates)) walk(crates);
        if (sources.length > 0) return sources.join('\n');
        const releases = path.join(coreBridge, 'releases');
        const native = fs.readdirSync(releases).map((d) => path.join(releases, d, 'index.node')).find((f) => fs.existsSync(f));
        if (!native) throw new Error(`neither sdk-core sources nor a native module under ${coreBridge}`);
        return fs.readFileSync(native).toString('latin1');
      };

      it("the worker installs the runtime's Prometheus exporter with the default naming the files assume", () => {
        // Default naming: prefix temporal_, no unit suffix, durations in milliseconds, counters without _total.
        const main = read('apps/worker/src/main.ts');
        expect(main).toMatch(/metrics:\s*\{\s*prometheus:\s*\{\s*bindAddress/);
        expect(main).not.toMatch(/metricPrefix|unitSuffix|useSecondsForDurations|countersTotalSuffix|noTemporalPrefixForMetrics/);
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { compileOptions } = require(path.join(workerPackage, 'lib', 'runtime-options')) as {
          compileOptions: (o: object) => { runtimeOptions: { telemetry: { metricPrefix: string }; metricsExporter: Record<string, unknown> } };
        };
        const { runtimeOptions } = compileOptions({ telemetryOptions: { metrics: { prometheus: { bindAddress: '127.0.0.1:9466' } } } });
        expect(runtimeOptions.telemetry.metricPrefix).toBe('temporal_');
        expect(runtimeOptions.metricsExporter).toMatchObject({ type: 'prometheus', unitSuffix: false, useSecondsForDurations: false, countersTotalSuffix: false });
      });

      it('every temporal_* name used is one the SDK core defines; histograms (its *_latency) only through _bucket/_sum/_count', () => {
        const text = coreText();
        const problems: string[] = [];
        for (const { where, expr } of allExprs) {
          for (const name of metricNames(expr).filter((n) => n.startsWith('temporal_'))) {
            const unprefixed = name.slice('temporal_'.length);
            const [, histogram] = HISTOGRAM_SERIES.exec(unprefixed) ?? [];
            const base = histogram?.endsWith('_latency') ? histogram : unprefixed;
            if (!text.includes(`"${base}"`)) problems.push(`${where}: ${name} (${base}) is not defined by the Temporal SDK core`);
            // The core's histograms are all named *_latency; a bare one has no series.
            if (base.endsWith('_latency') && !histogram) problems.push(`${where}: ${name} is a histogram: use its _bucket/_sum/_count`);
          }
        }
        expect(problems).toEqual([]);
      });
    });
  });

  describe('alerts.yml', () => {
    const byName = new Map(alerts.map((r) => [r.alert, r]));

    it('has the alerts the clinic relies on, on the right signals', () => {
      expect(byName.get('CareWorkerNotPolling')?.expr).toMatch(/max\(care_worker_polling\{[^}]*\}\) < 1[\s\S]*absent\(care_worker_polling/);
      expect(byName.get('CareProjectionLagging')?.expr).toMatch(/max by \(projection\) \(care_worker_projection_lag_seconds\{[^}]*\}\) > 60/);
      expect(byName.get('CareWebhookEndpointFailing')?.expr).toMatch(/by \(subscription\) \(care_worker_webhook_endpoint_failing_seconds\{[^}]*\}\) > \d+/);
      // An entry waiting for a signed checkpoint, not the checkpoint's age (signed only when there is something new).
      const ledger = byName.get('CareLedgerNotSigned')?.expr;
      expect(ledger).toMatch(/max\(care_worker_ledger_lag_seconds\{[^}]*\}\) > 600/);
      expect(ledger).not.toMatch(/checkpoint_age/);
    });

    it('every rule is an alert with a unique name, a `for`, a severity and a summary', () => {
      const problems: string[] = [];
      for (const r of alerts) {
        const name = r.alert ?? `(record ${r.record})`;
        if (!r.alert) problems.push(`${name}: not an alert`);
        if (!r.for || !/^\d+[smhd]$/.test(r.for)) problems.push(`${name}: no valid for:`);
        if (!SEVERITIES.has(r.labels?.severity ?? '')) problems.push(`${name}: severity must be one of ${[...SEVERITIES].join(', ')}`);
        if (!r.annotations?.summary?.trim()) problems.push(`${name}: no summary`);
        if (!r.annotations?.description?.trim()) problems.push(`${name}: no description`);
      }
      expect(problems).toEqual([]);
      expect(byName.size).toBe(alerts.length);
    });

    it('alerts carry and quote only allowed labels', () => {
      const problems: string[] = [];
      for (const r of alerts) {
        for (const label of Object.keys(r.labels ?? {})) if (!ALERT_RULE_LABELS.has(label)) problems.push(`${r.alert}: rule label "${label}"`);
        for (const text of Object.values(r.annotations ?? {})) {
          for (const [, label] of text.matchAll(/\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)/g)) if (!ALLOWED_LABELS.has(label!)) problems.push(`${r.alert}: annotation quotes "${label}"`);
        }
      }
      expect(problems).toEqual([]);
    });
  });

  describe('care-backbone.json', () => {
    it('is a Grafana dashboard on a ${datasource} Prometheus variable', () => {
      expect(dashboard.uid).toBe('care-backbone');
      expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
      expect(dashboard.schemaVersion).toBeLessThanOrEqual(41);
      expect(dashboard.templating.list).toContainEqual(expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }));
      const problems: string[] = [];
      for (const p of panels.filter((p) => p.type !== 'row')) {
        if (p.datasource?.uid !== '${datasource}') problems.push(`panel "${p.title}": datasource`);
        if ((p.targets ?? []).length === 0) problems.push(`panel "${p.title}": no query`);
        for (const t of p.targets ?? []) if (t.datasource?.uid !== '${datasource}') problems.push(`panel "${p.title}": target datasource`);
        if (p.gridPos.x + p.gridPos.w > 24) problems.push(`panel "${p.title}": wider than the grid`);
      }
      expect(problems).toEqual([]);
      expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    });

    it('shows every application metric of the API and the worker', () => {
      const used = new Set(dashboardExprs.flatMap(({ expr }) => metricNames(expr)).map((n) => resolveCare(n)?.metric.name ?? n));
      expect(applicationMetrics.filter((name) => !used.has(name))).toEqual([]);
    });

    it('selects, groups and labels series only by allowed labels', () => {
      const problems: string[] = [];
      for (const { where, expr } of allExprs) {
        for (const label of [...selectors(expr).flatMap((s) => s.matchers.map((m) => m.name)), ...clauseLabels(expr)]) {
          if (!ALLOWED_LABELS.has(label)) problems.push(`${where}: label "${label}"`);
        }
      }
      for (const t of targets) {
        for (const [, label] of (t.legendFormat ?? '').matchAll(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g)) {
          if (!ALLOWED_LABELS.has(label!)) problems.push(`legend "${t.legendFormat}": label "${label}"`);
        }
      }
      expect(problems).toEqual([]);
    });
  });

  describe('README.md', () => {
    it('documents every metric the API and the worker define, by name in backticks', () => {
      const readme = read('README.md');
      const quoted = new Set([...readme.matchAll(/`([a-z0-9_*]+)`/g)].map(([, name]) => name!));
      // prom-client's default process metrics may be documented as a family, e.g. `care_api_process_*`.
      const families = [...quoted].filter((q) => q.endsWith('*')).map((q) => q.slice(0, -1));
      const undocumented = [...defined.keys()].filter(
        (name) => !quoted.has(name) && !(defaults.has(name) && families.some((f) => f.length > 'care_api_'.length && name.startsWith(f))),
      );
      expect(undocumented).toEqual([]);
    });
  });
});
