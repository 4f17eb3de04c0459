import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Client, WithStartWorkflowOperation, type WorkflowHandle } from '@temporalio/client';
import { COURSE_WORKFLOW_TYPE, courseWorkflowId, submitCommandUpdate, type CommandResult } from '@care/contracts';
import type { CourseCommand } from '@care/protocol';

/**
 * Sends a scripted course (commands stamped with times on the script's own calendar) to a course
 * workflow, skipping server time so that each command arrives at the same offset from the first one
 * as in the script. The workflow stamps its own clock on every command, so the offsets are what count.
 */
export class CourseDriver {
  private origin: { script: number; server: number } | null = null;
  handle: WorkflowHandle | null = null;
  /**
   * A plain client on the test server's connection. The environment's own client unlocks time skipping
   * while it waits, and an idle course (no timer due) then fast-forwards to its run timeout; with this
   * one, time moves only in {@link advanceTo}.
   */
  readonly client: Client;

  constructor(
    private readonly env: TestWorkflowEnvironment,
    private readonly taskQueue: string,
    readonly courseId: string,
  ) {
    this.client = new Client({ connection: env.connection, ...(env.namespace ? { namespace: env.namespace } : {}) });
  }

  /** Moves server time forward to the script time `iso` (never backwards). */
  async advanceTo(iso: string): Promise<void> {
    const now = await this.env.currentTimeMs();
    if (!this.origin) this.origin = { script: Date.parse(iso), server: now };
    const target = this.origin.server + (Date.parse(iso) - this.origin.script);
    if (target > now) await this.env.sleep(target - now);
  }

  async send(command: CourseCommand): Promise<CommandResult> {
    await this.advanceTo(command.metadata.now);
    const withCourse = (command.type === 'StartCourse' ? { ...command, data: { ...command.data, courseId: this.courseId } } : command) as CourseCommand;
    // Every command goes through update-with-start (USE_EXISTING): the same Update, validator and handler
    // as production's executeUpdate, but the Java time-skipping server only completes plain Updates
    // sent this way (a plain UpdateWorkflowExecution answers NOT_FOUND there; the dev server is fine).
    const operation = new WithStartWorkflowOperation(COURSE_WORKFLOW_TYPE, {
      workflowId: courseWorkflowId(this.courseId),
      taskQueue: this.taskQueue,
      args: [{ courseId: this.courseId }],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    const result = await this.client.workflow
      .executeUpdateWithStart(submitCommandUpdate, { args: [withCourse], startWorkflowOperation: operation })
      .catch((error: unknown) => {
        const details = (error as { cause?: { details?: unknown[] } }).cause?.details?.[0];
        throw new Error(`${command.type} at ${command.metadata.now} refused: ${JSON.stringify(details ?? String(error))}`);
      });
    this.handle ??= await operation.workflowHandle();
    return result;
  }

  async sendAll(commands: CourseCommand[]): Promise<void> {
    for (const command of commands) await this.send(command);
  }
}
