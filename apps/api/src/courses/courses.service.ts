import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  Client,
  Connection,
  isGrpcServiceError,
  WithStartWorkflowOperation,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ApplicationFailure, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import type { AppConfig } from '@care/config';
import {
  COMMAND_REJECTED_FAILURE,
  COURSE_WORKFLOW_TYPE,
  courseStateQuery,
  courseStreamId,
  courseWorkflowId,
  submitCommandUpdate,
  type CommandResult,
  type CourseWorkflowInput,
} from '@care/contracts';
import { EventStore, type StoredEvent } from '@care/event-store';
import {
  COMMAND_TYPES,
  decide,
  initialState,
  parseCommandInput,
  SYSTEM_COMMAND_TYPES,
  type CourseCommand,
  type CourseState,
  type Rejection,
  type StartCourse,
} from '@care/protocol';
import { signedRecordHash } from '@care/crypto';
import { AuditService } from '../audit/audit.service';
import type { Principal } from '../auth/token-verifier';
import { ApiError } from '../errors/api-error';
import { DependencyHealth } from '../infrastructure/dependency-health';
import { APP_CONFIG, TEMPORAL_CLIENT, TEMPORAL_CONNECTION } from '../infrastructure/tokens';
import type { StartCourseDto } from './dto/start-course.dto';
import { deterministicId, IdempotencyService } from './idempotency.service';

const COURSE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
// StartCourse has its own route; system commands come only from the course workflow itself.
const STAFF_COMMANDS = COMMAND_TYPES.filter((t) => t !== 'StartCourse' && !SYSTEM_COMMAND_TYPES.includes(t));
// How long a caller waits for a command to be decided and recorded before getting a retryable 503.
const COMMAND_DEADLINE_MS = 30_000;

/** Maps a protocol refusal to the error contract: hidden course 404, stale version 409, role 403, rule 422. */
export const rejectionToError = (rejection: Rejection): ApiError => {
  const statusCode =
    rejection.code === 'COURSE_NOT_FOUND'
      ? 404
      : rejection.code === 'VERSION_CONFLICT' || rejection.code === 'COURSE_ALREADY_STARTED'
        ? 409
        : rejection.code === 'ROLE_NOT_PERMITTED'
          ? 403
          : 422;
  return new ApiError({ statusCode, code: rejection.code, message: rejection.message, ...(rejection.details ? { details: rejection.details } : {}) });
};

const actorOf = (p: Principal) => ({ id: p.id, name: p.name, role: p.role, siteId: p.siteId });

/**
 * Translates HTTP requests into commands and queries on the course workflows. No clinical rule
 * lives here: the protocol's decider (run inside the workflow) decides.
 */
@Injectable()
export class CoursesService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(TEMPORAL_CLIENT) private readonly client: Client,
    @Inject(TEMPORAL_CONNECTION) private readonly connection: Connection,
    private readonly eventStore: EventStore,
    private readonly idempotency: IdempotencyService,
    private readonly health: DependencyHealth,
    private readonly audit: AuditService,
  ) {}

  async start(principal: Principal, dto: StartCourseDto, correlationId: string, idempotencyKey?: string): Promise<CommandResult & { courseId: string }> {
    const key = this.idempotency.validateKey(idempotencyKey);
    const courseId = key ? deterministicId(`courses|${principal.id}`, key) : randomUUID();
    const command: StartCourse = {
      type: 'StartCourse',
      data: { courseId, patientRef: dto.patientRef, siteId: dto.siteId, protocolId: dto.protocolId },
      metadata: { actor: actorOf(principal), now: new Date().toISOString(), correlationId },
    };
    // Refuse what the protocol refuses before anything reaches Temporal, so a refused start leaves no workflow.
    const preview = decide(command, initialState());
    if (!preview.ok) {
      const error = rejectionToError(preview.rejection);
      if (error.body.statusCode === 403) {
        await this.audit.recordDenial(principal, { action: 'access', resource: 'StartCourse', reason: preview.rejection.code, courseId, correlationId });
      }
      throw error;
    }
    await this.requireDependencies();
    if (key) await this.idempotency.claim(`courses|${principal.id}`, key, dto, courseId);

    const operation = new WithStartWorkflowOperation<(input: CourseWorkflowInput) => Promise<CourseState>>(COURSE_WORKFLOW_TYPE, {
      workflowId: courseWorkflowId(courseId),
      taskQueue: this.config.temporal.taskQueue,
      args: [{ courseId }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      // A closed course is never silently reopened by a second run with the same id.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
    const result = await this.temporalCall(() =>
      this.client.workflow.executeUpdateWithStart(submitCommandUpdate, { args: [command], updateId: 'start-course', startWorkflowOperation: operation }),
    );
    return { courseId, ...result };
  }

  async submit(principal: Principal, courseId: string, body: unknown, correlationId: string, idempotencyKey?: string): Promise<CommandResult> {
    const key = this.idempotency.validateKey(idempotencyKey);
    this.requireCourseId(courseId);
    const command = this.parseCommand(body, principal, correlationId);
    await this.signIfAsked(principal, courseId, command, correlationId);
    await this.requireDependencies();
    if (key) await this.idempotency.claim(`commands|${principal.id}|${courseId}`, key, body, courseId);
    const updateId = key ? `cmd-${createHash('sha256').update(`${principal.id}|${key}`).digest('hex').slice(0, 32)}` : randomUUID();
    const handle = this.client.workflow.getHandle(courseWorkflowId(courseId));
    try {
      return await this.temporalCall(() => handle.executeUpdate(submitCommandUpdate, { args: [command], updateId }));
    } catch (error) {
      if (error instanceof ApiError && error.body.statusCode === 404) await this.throwIfClosed(principal, courseId);
      if (error instanceof ApiError && error.body.code === 'SIGNATURE_REQUIRED') {
        await this.audit.recordDenial(principal, { action: 'sign', resource: command.type, reason: 'signature missing or wrong meaning', courseId, correlationId });
      }
      // The protocol refused this role the step: a denied request, recorded like the guard's.
      if (error instanceof ApiError && error.body.statusCode === 403) {
        await this.audit.recordDenial(principal, { action: 'access', resource: command.type, reason: error.body.code, courseId, correlationId });
      }
      throw error;
    }
  }

  /**
   * Part 11 §11.200: a signature needs a fresh sign-in (`auth_time` within the configured minutes),
   * checked here before anything is sent; a failed attempt is recorded in the access log. Then the
   * exact record signed is fixed by its hash (§11.70), which the decider stores in the manifestation.
   */
  private async signIfAsked(principal: Principal, courseId: string, command: CourseCommand, correlationId: string): Promise<void> {
    const data = command.data as Record<string, unknown> & { signature?: { meaning: string; recordHash?: string } };
    if (!data.signature) return;
    const maxAgeSeconds = this.config.signatures.maxAuthAgeMinutes * 60;
    const age = principal.authTime === null ? null : Date.now() / 1000 - principal.authTime;
    // A future auth_time (beyond clock skew) is as unproven as a missing one.
    if (age === null || age > maxAgeSeconds || age < -60) {
      await this.audit.recordDenial(principal, { action: 'sign', resource: command.type, reason: age === null ? 'no auth_time' : 'authentication too old', courseId, correlationId });
      throw ApiError.signatureReauthRequired(maxAgeSeconds);
    }
    data.signature = { meaning: data.signature.meaning, recordHash: signedRecordHash(data) };
  }

  async state(principal: Principal, courseId: string): Promise<CourseState> {
    this.requireCourseId(courseId);
    await this.requireDependencies();
    const state = await this.temporalCall(() => this.client.workflow.getHandle(courseWorkflowId(courseId)).query(courseStateQuery));
    if (state.status === 'not_started' || state.siteId === null || !principal.sites.includes(state.siteId)) throw ApiError.notFound();
    return state;
  }

  async events(principal: Principal, courseId: string): Promise<StoredEvent[]> {
    this.requireCourseId(courseId);
    await this.requireDatabase();
    const events = await this.eventStore.readStream(courseStreamId(courseId));
    const started = events[0];
    if (!started || !principal.sites.includes(String(started.data['siteId']))) throw ApiError.notFound();
    return events;
  }

  private parseCommand(body: unknown, principal: Principal, correlationId: string): CourseCommand {
    const problems: { field: string; message: string }[] = [];
    let expectedVersion: number | undefined;
    if (body && typeof body === 'object' && !Array.isArray(body)) {
      const envelope = body as Record<string, unknown>;
      for (const field of Object.keys(envelope)) {
        if (!['type', 'data', 'expectedVersion'].includes(field)) problems.push({ field, message: 'is not a field of a command' });
      }
      if (envelope['expectedVersion'] !== undefined) {
        const v = envelope['expectedVersion'];
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) problems.push({ field: 'expectedVersion', message: 'must be a non-negative integer' });
        else expectedVersion = v;
      }
    }
    const parsed = parseCommandInput(body, STAFF_COMMANDS);
    if (!parsed.ok) problems.push(...parsed.errors);
    if (problems.length > 0 || !parsed.ok) throw ApiError.badRequest(problems);
    return {
      ...parsed.command,
      metadata: { actor: actorOf(principal), now: new Date().toISOString(), correlationId, ...(expectedVersion !== undefined ? { expectedVersion } : {}) },
    } as CourseCommand;
  }

  private requireCourseId(courseId: string): void {
    if (!COURSE_ID.test(courseId)) throw ApiError.notFound();
  }

  private async requireDatabase(): Promise<void> {
    if (!(await this.health.database())) throw ApiError.unavailable('The clinical record store');
  }

  /** Fails fast (503) when either server is down, before anything is sent that could half-happen. */
  private async requireDependencies(): Promise<void> {
    const [database, temporal] = await Promise.all([this.health.database(), this.health.temporal()]);
    if (!database) throw ApiError.unavailable('The clinical record store');
    if (!temporal) throw ApiError.unavailable('The workflow service');
  }

  /** The workflow is gone but the course's stream exists: the course was closed. */
  private async throwIfClosed(principal: Principal, courseId: string): Promise<void> {
    const [first] = await this.eventStore.readStream(courseStreamId(courseId)).catch(() => []);
    if (first && first.data['siteId'] === principal.siteId) {
      throw new ApiError({ statusCode: 422, code: 'COURSE_CLOSED', message: 'This course of care is closed; nothing more can be recorded on it.' });
    }
  }

  /** Runs a Temporal call under a deadline and maps its failures to the error contract. */
  private async temporalCall<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await this.connection.withDeadline(Date.now() + COMMAND_DEADLINE_MS, call);
    } catch (error) {
      throw await this.mapTemporalError(error);
    }
  }

  private async mapTemporalError(error: unknown): Promise<unknown> {
    if (error instanceof ApiError) return error;
    if (error instanceof WorkflowUpdateFailedError) {
      const cause = error.cause;
      if (cause instanceof ApplicationFailure && cause.type === COMMAND_REJECTED_FAILURE && cause.details?.[0]) {
        return rejectionToError(cause.details[0] as Rejection);
      }
      return new ApiError({ statusCode: 500, code: 'INTERNAL_ERROR', message: 'The command failed unexpectedly; nothing was recorded.' });
    }
    if (error instanceof WorkflowNotFoundError) return ApiError.notFound();
    if (error instanceof WorkflowExecutionAlreadyStartedError) {
      return new ApiError({ statusCode: 409, code: 'COURSE_ALREADY_STARTED', message: 'A course with this Idempotency-Key exists and is closed.' });
    }
    if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
      return new ApiError({
        statusCode: 503,
        code: 'SERVICE_UNAVAILABLE',
        message: 'The command was not confirmed in time. Retry with the same Idempotency-Key to get its outcome.',
        details: { retryable: true },
      });
    }
    const name = (error as { name?: string })?.name ?? '';
    const transportFailure = ['TransportError', 'ServiceError', 'TimeoutError'].includes(name) || /connect|deadline|unavailable/i.test(String((error as Error)?.message));
    if (transportFailure || isGrpcServiceError(error) || isGrpcServiceError((error as { cause?: unknown })?.cause) || !(await this.health.temporal())) {
      return ApiError.unavailable('The workflow service');
    }
    return error;
  }
}
