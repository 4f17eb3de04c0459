import { startTracing } from '@care/observability';

/**
 * Imported first by main.ts: the OpenTelemetry SDK must be running before `http` and `pg` are loaded
 * for their spans to exist. Off unless the OTEL_* variables ask for it (README: Tracing).
 */
export const tracing = startTracing('care-api');
