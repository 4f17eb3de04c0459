import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { CourseActivities, WebhookActivities } from '@care/contracts';

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
    // A hung update handler should show up as a stuck task, not as a silently lost command.
    shutdownGraceTime: '10 seconds',
  });
