import type { ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { Resource } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, ConsoleSpanExporter, NoopSpanProcessor, type ReadableSpan, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';

type Env = Record<string, string | undefined>;

/** Tracing as configured by the standard OTEL_* variables: what the Temporal interceptors need from it. */
export type Tracing = {
  /** Where workflow spans go (the worker's sink); also the SDK's own. */
  readonly spanProcessor: SpanProcessor;
  readonly resource: Resource;
  shutdown: () => Promise<void>;
};

/**
 * Whether tracing is on: an OTLP endpoint or an exporter is named, and the SDK is not disabled. Off
 * when nothing is set (the embedded default), so a clinic that runs no collector pays nothing.
 */
export const tracingEnabled = (env: Env = process.env): boolean => {
  if (env['OTEL_SDK_DISABLED']?.trim().toLowerCase() === 'true') return false;
  const exporter = env['OTEL_TRACES_EXPORTER']?.trim().toLowerCase();
  if (exporter) return exporter !== 'none';
  return Boolean(env['OTEL_EXPORTER_OTLP_ENDPOINT']?.trim() || env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']?.trim());
};

/** Attributes whose values may hold a query string (audit filters carry a patient reference). */
const URL_ATTRIBUTES = ['http.url', 'http.target', 'url.full', 'url.query'];

/** The attributes of a span, with every query string cut off: no filter value leaves in a trace. */
export const scrubAttributes = (attributes: ReadableSpan['attributes']): ReadableSpan['attributes'] =>
  Object.fromEntries(
    Object.entries(attributes).map(([key, value]) => {
      if (!URL_ATTRIBUTES.includes(key) || typeof value !== 'string') return [key, value];
      if (key === 'url.query') return [key, '[redacted]'];
      const at = value.indexOf('?');
      return [key, at === -1 ? value : `${value.slice(0, at)}?[redacted]`];
    }),
  );

/** Hands spans to `inner` with their URL attributes scrubbed (the spans themselves are left as they are). */
class ScrubbingExporter implements SpanExporter {
  constructor(private readonly inner: SpanExporter) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    // A view of each span with its own attributes; everything else read through to the span.
    const scrubbed = spans.map((span) => Object.create(span, { attributes: { value: scrubAttributes(span.attributes), enumerable: true } }) as ReadableSpan);
    this.inner.export(scrubbed, done);
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

/** The exporter the variables name: OTLP over HTTP (protobuf by default, or JSON), or the console. */
const exporterFrom = (env: Env): SpanExporter => {
  const name = env['OTEL_TRACES_EXPORTER']?.trim().toLowerCase() || 'otlp';
  if (name === 'console') return new ConsoleSpanExporter();
  if (name !== 'otlp') throw new Error(`OTEL_TRACES_EXPORTER must be otlp, console or none, got "${name}"`);
  const protocol = (env['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'] ?? env['OTEL_EXPORTER_OTLP_PROTOCOL'] ?? 'http/protobuf').trim();
  if (protocol === 'http/json') return new OtlpJsonExporter();
  if (protocol === 'http/protobuf') return new OtlpProtobufExporter();
  throw new Error(`OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf or http/json, got "${protocol}"`);
};

/**
 * Starts the OpenTelemetry SDK for this process when the OTEL_* variables ask for it (else returns
 * null and changes nothing). Must run before `http` and `pg` are loaded, so their instrumentations
 * apply: the API and the worker call it first thing. Spans: incoming HTTP requests (not the health
 * probes), PostgreSQL queries made under a traced operation (not the background polling, which would
 * be a trace per poll), and, through the Temporal interceptors, the Update, the workflow and its
 * activities. SQL is reported without its parameter values; URLs without their query strings.
 */
export const startTracing = (serviceName: string, env: Env = process.env): Tracing | null => {
  if (!tracingEnabled(env)) return null;
  if (active) return active;
  const resource = new Resource({ 'service.name': env['OTEL_SERVICE_NAME']?.trim() || serviceName });
  const spanProcessor = new BatchSpanProcessor(new ScrubbingExporter(exporterFrom(env)));
  const sdk = new NodeSDK({
    serviceName: env['OTEL_SERVICE_NAME']?.trim() || serviceName,
    spanProcessors: [spanProcessor],
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => (req.url ?? '').startsWith('/health/') }),
      new PgInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false }),
    ],
  });
  sdk.start();
  active = { spanProcessor, resource, shutdown: () => sdk.shutdown() };
  return active;
};

let active: Tracing | null = null;

/** The tracing this process started, or null when it is off. */
export const activeTracing = (): Tracing | null => active;

/** Where workflow spans go when tracing is off: nowhere (the workflow interceptors are always bundled). */
export const NO_TRACING = { spanProcessor: new NoopSpanProcessor(), resource: Resource.empty() } as const;
