import type { DataConverter } from '@temporalio/common';
import { makeWorkflowExporter, OpenTelemetryActivityInboundInterceptor, OpenTelemetryActivityOutboundInterceptor } from '@temporalio/interceptors-opentelemetry';
import { NativeConnection, Worker } from '@temporalio/worker';
import { activeTracing, NO_TRACING } from '@care/observability';
import type { CourseActivities, WebhookActivities } from '@care/contracts';
import type { WorkerLimits } from '@care/config';

export type CourseWorkerOptions = {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: CourseActivities & WebhookActivities;
  workflowBundle: { code: string };
  /**
   * Encrypting data converter (`temporalDataConverter` of `@care/crypto`). Optional only so that test
   * stacks without encryption keep working; every production worker passes it.
   */
  dataConverter?: DataConverter;
  /**
   * Workflow cache and task concurrency (`worker` of the configuration, README: Sizing the worker).
   * Optional only for test stacks, which then get the SDK's defaults (a cache sized from the heap);
   * every production worker passes it, so its memory does not grow with the number of open courses.
   */
  limits?: Omit<WorkerLimits, 'maxHeapMb'>;
};

/**
 * The sink the bundled OpenTelemetry workflow interceptors export their spans to: this process's
 * tracing, or nowhere when it is off. Replay workers register it too.
 */
export const workflowSinks = () => {
  const { spanProcessor, resource } = activeTracing() ?? NO_TRACING;
  return { exporter: makeWorkflowExporter(spanProcessor, resource) };
};

/** The worker: course, dosing-session and webhook-delivery workflows from the bundle, their activities from the factories. */
export const createCourseWorker = (options: CourseWorkerOptions): Promise<Worker> =>
  Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    workflowBundle: options.workflowBundle,
    activities: options.activities,
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
    ...(options.limits
      ? {
          maxCachedWorkflows: options.limits.maxCachedWorkflows,
          maxConcurrentWorkflowTaskExecutions: options.limits.maxConcurrentWorkflowTasks,
          maxConcurrentActivityTaskExecutions: options.limits.maxConcurrentActivities,
        }
      : {}),
    // A hung update handler should show up as a stuck task, not as a silently lost command.
    shutdownGraceTime: '10 seconds',
    // The bundle always holds the OpenTelemetry workflow interceptors (whether tracing is on must not
    // change what a workflow does); their spans leave through this sink, to nowhere when tracing is off.
    sinks: workflowSinks(),
    interceptors: {
      activity: [(ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) })],
    },
  });
