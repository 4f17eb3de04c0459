import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Client, WithStartWorkflowOperation, type WorkflowHandle } from '@temporalio/client';
import { COURSE_WORKFLOW_TYPE, courseWorkflowId, submitCommandUpdate, type CommandResult } from '@care/contracts';
import type { CourseCommand } from '@care/protocol';
import type { DataConverter } from '@temporalio/common';
import type { History } from '@temporalio/common/lib/proto-utils';

const DAY = 86_400_000;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

/** Deep copy of `value` with every UTC timestamp string moved by `shiftMs`. */
const shifted = (value: unknown, shiftMs: number): unknown => {
  if (typeof value === 'string' && ISO_UTC.test(value)) return new Date(Date.parse(value) + shiftMs).toISOString();
  if (Array.isArray(value)) return value.map((v) => shifted(v, shiftMs));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shifted(v, shiftMs)]));
  return value;
};

/**
 * Plays a scripted course (commands stamped with times on the script's own calendar) against a course
 * workflow on the time-skipping server. The server's clock is first moved to the script's time of day,
 * then every command is sent when server time reaches the script's time shifted by whole days; the
 * timestamps inside command data (scheduled times, end of washout...) are shifted the same way.
 */
export class CourseDriver {
  private shiftMs: number | null = null;
  handle: WorkflowHandle | null = null;
  /**
   * A plain client on the test server's connection. The environment's own client unlocks time skipping
   * while it waits, and an idle course (no timer due) then fast-forwards to its run timeout; with this
   * one, time moves only in {@link advanceTo}.
   */
  readonly client: Client;

  private readonly continueAsNewAfterEvents: number | undefined;
  private readonly skipTime: boolean;

  constructor(
    private readonly env: TestWorkflowEnvironment,
    private readonly taskQueue: string,
    readonly courseId: string,
    options: {
      continueAsNewAfterEvents?: number;
      /** false on a real (dev) server: commands go out at once and the workflow's own clock is real time. */
      skipTime?: boolean;
      /** The service's data converter (payload encryption), when the worker uses one. */
      dataConverter?: DataConverter;
    } = {},
  ) {
    this.continueAsNewAfterEvents = options.continueAsNewAfterEvents;
    this.skipTime = options.skipTime ?? true;
    this.client = new Client({
      connection: env.connection,
      ...(env.namespace ? { namespace: env.namespace } : {}),
      ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
    });
  }

  /** Command data with its timestamps moved onto the server's calendar. */
  shiftData<T>(data: T): T {
    if (this.shiftMs === null) throw new Error('the driver has not started yet');
    return shifted(data, this.shiftMs) as T;
  }

  /** A script time as server time. */
  toServer(iso: string): string {
    if (this.shiftMs === null) throw new Error('the driver has not started yet');
    return new Date(Date.parse(iso) + this.shiftMs).toISOString();
  }

  /** Moves server time forward to the script time `iso` (never backwards). */
  async advanceTo(iso: string): Promise<void> {
    if (!this.skipTime) {
      // Real time: each command is sent at once, and the times in its data keep their distance to the
      // command's own time (a consent given as it is entered stays so, a washout 20 days ahead stays ahead).
      this.shiftMs = Date.now() - Date.parse(iso);
      return;
    }
    let now = await this.env.currentTimeMs();
    if (this.shiftMs === null) {
      // Align the time of day, so that "09:00 on day 7" in the script is 09:00 on the server too.
      const script = Date.parse(iso);
      const offset = (((script - now) % DAY) + DAY) % DAY;
      if (offset > 0) await this.skip(offset);
      now += offset;
      this.shiftMs = now - script;
    }
    const target = Date.parse(iso) + this.shiftMs;
    if (target > now) await this.skip(target - now);
  }

  /**
   * Sleeps `ms` of server time. Works around a time-skipping test server bug: after a workflow signals
   * another workflow (the dosing session reporting a missed reading), the server can keep one extra
   * time-skipping lock, so the clock never moves and the sleep never returns. If server time has not
   * moved for a few real seconds, one unlock rebalances the count (the sleep re-locks when it ends).
   */
  private async skip(ms: number): Promise<void> {
    let done = false;
    const sleeping = this.env.sleep(ms).finally(() => {
      done = true;
    });
    for (let attempt = 0; attempt < 20 && !done; attempt++) {
      const before = await this.env.currentTimeMs();
      await Promise.race([sleeping, new Promise((r) => setTimeout(r, 5000))]);
      if (!done && (await this.env.currentTimeMs()) === before) await this.env.connection.testService?.unlockTimeSkipping({});
    }
    await sleeping;
  }

  async send(command: CourseCommand): Promise<CommandResult> {
    await this.advanceTo(command.metadata.now);
    const data = shifted(command.data, this.shiftMs!) as Record<string, unknown>;
    // Every command carries an id, as the API sends it: the Update id and the events' commandId.
    const commandId = command.type === 'StartCourse' ? 'start-course' : `cmd-${randomUUID()}`;
    const withCourse = {
      ...command,
      data: command.type === 'StartCourse' ? { ...data, courseId: this.courseId } : data,
      metadata: { ...command.metadata, commandId },
    } as CourseCommand;
    // The first command starts the workflow (update-with-start, as POST /courses does); the rest are
    // plain Updates, as POST /courses/:id/commands sends them.
    const call = this.handle
      ? this.handle.executeUpdate(submitCommandUpdate, { args: [withCourse], updateId: commandId })
      : this.client.workflow.executeUpdateWithStart(submitCommandUpdate, {
          args: [withCourse],
          updateId: commandId,
          startWorkflowOperation: new WithStartWorkflowOperation(COURSE_WORKFLOW_TYPE, {
            workflowId: courseWorkflowId(this.courseId),
            taskQueue: this.taskQueue,
            args: [{ courseId: this.courseId, ...(this.continueAsNewAfterEvents ? { continueAsNewAfterEvents: this.continueAsNewAfterEvents } : {}) }],
            workflowIdConflictPolicy: 'USE_EXISTING',
          }),
        });
    const result = await call.catch((error: unknown) => {
      const details = (error as { cause?: { details?: unknown[] } }).cause?.details?.[0];
      throw new Error(`${command.type} at ${command.metadata.now} refused: ${JSON.stringify(details ?? String(error))}`);
    });
    this.handle ??= this.client.workflow.getHandle(courseWorkflowId(this.courseId));
    return result;
  }

  async sendAll(commands: CourseCommand[]): Promise<void> {
    for (const command of commands) await this.send(command);
  }

  /** Workflow ids of this course's runs (course and dosing sessions) that are still open. */
  async openRuns(): Promise<string[]> {
    const { executions } = await this.client.workflowService.listOpenWorkflowExecutions({ namespace: this.env.namespace ?? 'default', maximumPageSize: 1000 });
    return (executions ?? []).map((e) => e.execution?.workflowId ?? '').filter((id) => id.startsWith(courseWorkflowId(this.courseId)));
  }

  /** The histories of every run of this course's workflows (course runs and dosing sessions), oldest first. */
  async histories(): Promise<{ workflowId: string; runId: string; history: History }[]> {
    // Visibility (the list APIs) may lag a moment behind on a real server: wait until every run a
    // continue-as-new points to is listed.
    for (let attempt = 0; ; attempt++) {
      const runs = await this.listedHistories();
      const listed = new Set(runs.map((r) => r.runId));
      // Both directions: a run a continue-as-new points to, and the run a listed run continued from.
      const missing = runs.some((r) => {
        const next = r.history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
        const previous = r.history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
        return (next && !listed.has(next)) || (previous && !listed.has(previous));
      });
      if (!missing || attempt >= 25) return runs;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  private async listedHistories(): Promise<{ workflowId: string; runId: string; history: History }[]> {
    const namespace = this.env.namespace ?? 'default';
    const [open, closed] = await Promise.all([
      this.client.workflowService.listOpenWorkflowExecutions({ namespace, maximumPageSize: 1000 }),
      this.client.workflowService.listClosedWorkflowExecutions({ namespace, maximumPageSize: 1000 }),
    ]);
    const runs = [...(open.executions ?? []), ...(closed.executions ?? [])]
      .filter((e) => e.execution?.workflowId?.startsWith(courseWorkflowId(this.courseId)))
      .sort((a, b) => Number(a.startTime?.seconds ?? 0) - Number(b.startTime?.seconds ?? 0) || Number(a.startTime?.nanos ?? 0) - Number(b.startTime?.nanos ?? 0));
    const out = [];
    for (const run of runs) {
      const { workflowId, runId } = run.execution!;
      const history = await this.client.workflow.getHandle(workflowId!, runId!).fetchHistory();
      out.push({ workflowId: workflowId!, runId: runId!, history });
    }
    return out;
  }

  /**
   * Ends the course's workflows. On the time-skipping server the clock only moves while no workflow
   * task is outstanding, so a course left running with timers would stall later tests.
   */
  async close(): Promise<void> {
    if (!this.handle) return;
    const { executions } = await this.client.workflowService.listOpenWorkflowExecutions({
      namespace: this.env.namespace ?? 'default',
      maximumPageSize: 100,
    });
    for (const e of executions ?? []) {
      if (e.execution?.workflowId?.startsWith(courseWorkflowId(this.courseId))) {
        await this.client.workflow.getHandle(e.execution.workflowId).terminate('test finished').catch(() => undefined);
      }
    }
  }
}
