import { randomUUID } from 'node:crypto';
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
  courseStreamId,
  courseWorkflowId,
  submitCommandUpdate,
  type CommandResult,
  type CourseWorkflowInput,
  type RecordedEvent,
  type SignatureCheck,
} from '@care/contracts';
import { EventStore, type StoredEvent } from '@care/event-store';
import {
  availableSteps,
  withClinicalTime,
  decide,
  initialState,
  isCourseClosed,
  parseCommandInput,
  parseCommandRequest,
  type AvailableSteps,
  type CourseCommand,
  type CourseState,
  type Rejection,
  type SignatureInput,
  type StartCourse,
} from '@care/protocol';
import { signatureLink } from '@care/crypto';
import { AuditService } from '../audit/audit.service';
import type { Principal } from '../auth/token-verifier';
import { ApiError, type ErrorBody } from '../errors/api-error';
import { DependencyHealth } from '../infrastructure/dependency-health';
import { APP_CONFIG, TEMPORAL_CLIENT, TEMPORAL_CONNECTION } from '../infrastructure/tokens';
import type { StartCourseDto } from './dto/start-course.dto';
import { commandIdFor, CommandReceipts, deterministicId, type CommandReceipt } from './command-receipts.service';
import { foldCourse } from './course-record';
import { ActiveCourses } from './active-courses.service';
import { CourseSites } from './course-sites';
import { HTTP_COMMAND_TYPES } from './command-types';
import { checkSignatures } from './signature-check';

const COURSE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const COMMAND_KEY = /^[A-Za-z0-9._:-]{8,128}$/;
// How long GET .../commands/:id waits for a command still in flight.
const STATUS_POLL_MS = 2_000;
/** The Update id of the start of every course (one per workflow). */
const START_COMMAND_ID = 'start-course';
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_UNAVAILABLE = 14;

/** Maps a protocol refusal to the error contract: hidden course 404, stale version 409, role 403, rule 422. */
export const rejectionToError = (rejection: Rejection): ApiError => {
  const statusCode =
    rejection.code === 'COURSE_NOT_FOUND'
      ? 404
      : rejection.code === 'VERSION_CONFLICT' || rejection.code === 'COURSE_ALREADY_STARTED' || rejection.code === 'RECORD_DIVERGED'
        ? 409
        : rejection.code === 'ROLE_NOT_PERMITTED'
          ? 403
          : rejection.code === 'UNSTORABLE_TEXT'
            ? 400
            : rejection.code === 'RECORD_UNAVAILABLE'
              ? 503
              : 422;
  const details = rejection.code === 'RECORD_UNAVAILABLE' ? { ...rejection.details, retryable: false } : rejection.details;
  return new ApiError({ statusCode, code: rejection.code, message: rejection.message, ...(details ? { details } : {}) });
};

const actorOf = (p: Principal) => ({ id: p.id, name: p.name, role: p.role, siteId: p.siteId });

/** Where a command's outcome can be read. */
export const commandStatusUrl = (courseId: string, commandKey: string): string => `/courses/${courseId}/commands/${commandKey}`;

/** A command's answer: 200 with what it recorded, or 202 while its outcome is not yet known. */
export type CommandAnswer =
  | { status: 200 | 201; body: CommandResult & { courseId?: string } }
  | { status: 202; body: PendingCommand };

export type PendingCommand = { courseId: string; commandId: string; status: 'pending'; message: string; statusUrl: string };

export type CommandStatus =
  | { commandId: string; status: 'recorded'; events: StoredEvent[] }
  | { commandId: string; status: 'refused'; error: Omit<ErrorBody, 'correlationId'> }
  | { commandId: string; status: 'pending' | 'not_recorded'; message: string };

/** The outcome of a Temporal call that did not end with an answer: the command may still be executed. */
class OutcomeUnknown extends Error {
  /** `unavailable`: the transport says Temporal cannot be reached (not merely slow). */
  constructor(readonly reachable: boolean, readonly unavailable = false) {
    super('outcome unknown');
  }
}

/**
 * Translates HTTP requests into commands on the course workflows and reads from the record. No
 * clinical rule lives here: the protocol's decider (run inside the workflow) decides.
 *
 * Every command has an id (the client's Idempotency-Key, or one generated here and returned in the
 * `Command-Id` header). The id, scoped to the caller, site and course, is the Temporal Update id and
 * is stored in the metadata of the events the command records, so a retry attaches to the same
 * command or is answered from the record, and never executes twice.
 */
@Injectable()
export class CoursesService {
  /** Sites of courses seen here: a repeat command to a course of the caller's site skips the site read. */
  private readonly sites = new CourseSites();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(TEMPORAL_CLIENT) private readonly client: Client,
    @Inject(TEMPORAL_CONNECTION) private readonly connection: Connection,
    private readonly eventStore: EventStore,
    private readonly receipts: CommandReceipts,
    private readonly audit: AuditService,
    private readonly activeCourses: ActiveCourses,
    private readonly health: DependencyHealth,
  ) {}

  /** The command key of a request: the client's Idempotency-Key (checked), or a new one. */
  commandKey(idempotencyKey: string | undefined): string {
    return this.receipts.validateKey(idempotencyKey) ?? randomUUID();
  }

  async start(principal: Principal, dto: StartCourseDto, correlationId: string, commandKey: string): Promise<CommandAnswer> {
    const scope = startScope(principal);
    const courseId = deterministicId(scope, commandKey);
    const timing = { ...(dto.performedAt !== undefined ? { performedAt: dto.performedAt } : {}), ...(dto.lateEntryReason !== undefined ? { lateEntryReason: dto.lateEntryReason } : {}) };
    const parsed = parseCommandInput({ type: 'StartCourse', data: { courseId, patientRef: dto.patientRef, siteId: dto.siteId, protocolId: dto.protocolId, ...timing } }, ['StartCourse']);
    // The DTO checked the identifiers; the protocol's parser checks the clinical time's format, with its field names.
    if (!parsed.ok) throw ApiError.badRequest(parsed.errors.map((e) => ({ field: e.field.replace(/^data\./, ''), message: e.message })));
    const command = { ...parsed.command, metadata: { actor: actorOf(principal), now: new Date().toISOString(), correlationId, commandId: START_COMMAND_ID } } as StartCourse;
    // Refuse what the protocol refuses before anything reaches Temporal, so a refused start leaves no workflow.
    const preview = decide(command, initialState());
    if (!preview.ok) {
      const error = rejectionToError(preview.rejection);
      if (error.body.statusCode === 403) {
        await this.audit.recordDenial(principal, { action: 'access', resource: 'StartCourse', reason: preview.rejection.code, courseId, correlationId });
      }
      throw error;
    }
    const receipt = await this.receipts.claim({ scope, key: commandKey, commandId: START_COMMAND_ID, courseId, body: dto });
    if (!receipt.created) {
      const stored = await this.readStream(courseId);
      if (stored.length > 0) return { status: 201, body: { courseId, state: foldCourse(stored), events: stored.slice(0, 1).map(asRecorded) } };
    }
    // One active course per patient, protocol and site (a repeat of this very start keeps its place).
    const place = { siteId: dto.siteId, patientRef: dto.patientRef, protocolId: dto.protocolId };
    await this.activeCourses.claim(place, courseId, async (holder) => {
      const events = await this.readStream(holder);
      if (events.length === 0) return 'absent';
      return isCourseClosed(foldCourse(events)) ? 'closed' : 'active';
    });

    const operation = new WithStartWorkflowOperation<(input: CourseWorkflowInput) => Promise<CourseState>>(COURSE_WORKFLOW_TYPE, {
      workflowId: courseWorkflowId(courseId),
      taskQueue: this.config.temporal.taskQueue,
      args: [{ courseId }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      // A closed course is never silently reopened by a second run with the same id.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
    try {
      const result = await this.temporalCall(() =>
        this.client.workflow.executeUpdateWithStart(submitCommandUpdate, { args: [command], updateId: START_COMMAND_ID, startWorkflowOperation: operation }),
      );
      if (result.state.siteId) this.sites.set(courseId, result.state.siteId);
      return { status: 201, body: { courseId, ...result } };
    } catch (error) {
      const settled = await this.settle(error, receipt, courseId, commandKey);
      if (settled instanceof PendingAnswer) return { status: 202, body: settled.body };
      // Refused: the course never started, so it holds no place.
      if (settled instanceof ApiError && settled.isRefusal) await this.activeCourses.release(place, courseId);
      throw settled;
    }
  }

  async submit(principal: Principal, courseId: string, body: unknown, correlationId: string, commandKey: string): Promise<CommandAnswer> {
    this.requireCourseId(courseId);
    const scope = commandScope(principal, courseId);
    const commandId = commandIdFor(scope, commandKey);
    const command = this.parseCommand(body, principal, correlationId, commandId);
    // The site check runs on every request, a retry included, before anything is answered: from the
    // cache for a course of the caller's site seen before, otherwise in the claim's statement.
    const claim = { scope, key: commandKey, commandId, courseId, body };
    const receipt = this.knownAtSite(principal, courseId) ? await this.receipts.claim(claim) : await this.claimAtSite(principal, claim);
    if (receipt.refusal) throw refusal(new ApiError(receipt.refusal));
    if (!receipt.created) {
      const recorded = await this.recordedEvents(courseId, commandId);
      if (recorded.length > 0) return { status: 200, body: await this.answerFromRecord(courseId, recorded) };
    }
    await this.signIfAsked(principal, courseId, command, correlationId);
    const handle = this.client.workflow.getHandle(courseWorkflowId(courseId));
    try {
      const result = await this.temporalCall(() => handle.executeUpdate(submitCommandUpdate, { args: [command], updateId: commandId }));
      if (result.alreadyRecorded) {
        const events = await this.readStream(courseId, result.alreadyRecorded.fromVersion, result.alreadyRecorded.toVersion);
        return { status: 200, body: await this.answerFromRecord(courseId, events) };
      }
      return { status: 200, body: result };
    } catch (error) {
      const settled = await this.settle(error, receipt, courseId, commandKey);
      if (settled instanceof PendingAnswer) return { status: 202, body: settled.body };
      if (settled instanceof ApiError && settled.body.statusCode === 404) throw await this.closedOrMissing(courseId);
      if (settled instanceof ApiError && settled.body.code === 'SIGNATURE_REQUIRED') {
        await this.audit.recordDenial(principal, { action: 'sign', resource: command.type, reason: 'signature missing or wrong meaning', courseId, correlationId });
      }
      // The protocol refused this role the step: a denied request, recorded like the guard's.
      if (settled instanceof ApiError && settled.body.statusCode === 403) {
        await this.audit.recordDenial(principal, { action: 'access', resource: command.type, reason: settled.body.code, courseId, correlationId });
      }
      throw settled;
    }
  }

  /** What became of a command sent earlier by this caller (its Command-Id or Idempotency-Key). */
  async commandStatus(principal: Principal, courseId: string, commandKey: string): Promise<CommandStatus> {
    this.requireCourseId(courseId);
    const notFound = new ApiError({ statusCode: 404, code: 'COMMAND_NOT_FOUND', message: 'This is not a command id (a Command-Id or an Idempotency-Key).' });
    if (!COMMAND_KEY.test(commandKey)) throw notFound;
    await this.requireCourseAtSite(principal, courseId);
    const receipt =
      (await this.receipts.get(commandScope(principal, courseId), commandKey)) ??
      (await this.receipts.get(startScope(principal), commandKey).then((r) => (r && r.courseId === courseId ? r : null)));
    // No receipt: the command never reached the workflow service (the receipt is kept before it is sent),
    // e.g. its answer was a 503 while PostgreSQL was down. Not recorded, and safe to send again.
    if (!receipt) return notRecorded(commandKey);
    if (receipt.refusal) return { commandId: commandKey, status: 'refused', error: receipt.refusal };
    const recorded = await this.recordedEvents(courseId, receipt.commandId);
    if (recorded.length > 0) return { commandId: commandKey, status: 'recorded', events: recorded };

    // Not in the record: ask the workflow whether it is still deciding or appending it.
    const abort = new AbortController();
    try {
      const handle = this.client.workflow.getHandle(courseWorkflowId(courseId)).getUpdateHandle<CommandResult>(receipt.commandId);
      await this.connection.withAbortSignal(abort.signal, () => this.connection.withDeadline(Date.now() + STATUS_POLL_MS, () => handle.result()));
      // It finished between the two reads: its events are in the record now.
      return { commandId: commandKey, status: 'recorded', events: await this.recordedEvents(courseId, receipt.commandId) };
    } catch (error) {
      // Unknown update id: never received, or refused by a validator whose answer was never kept.
      if (error instanceof WorkflowNotFoundError) return notRecorded(commandKey);
      const settled = await this.settle(error, receipt, courseId, commandKey);
      if (settled instanceof ApiError && settled.body.statusCode < 500) return { commandId: commandKey, status: 'refused', error: settled.body };
      if (settled instanceof PendingAnswer) {
        return { commandId: commandKey, status: 'pending', message: 'The command has reached the workflow service and is not decided yet.' };
      }
      throw settled instanceof ApiError ? settled : ApiError.unavailable('The workflow service');
    } finally {
      abort.abort();
    }
  }

  /**
   * Part 11 §11.200: a signature needs a fresh sign-in (`auth_time` within the configured minutes),
   * checked here before anything is sent; a failed attempt is recorded in the access log. Then the
   * exact record signed is fixed by its hash (§11.70), which the decider stores in the manifestation.
   */
  private async signIfAsked(principal: Principal, courseId: string, command: CourseCommand, correlationId: string): Promise<void> {
    const data = command.data as Record<string, unknown> & { signature?: SignatureInput };
    if (!data.signature) return;
    const maxAgeSeconds = this.config.signatures.maxAuthAgeMinutes * 60;
    const age = principal.authTime === null ? null : Date.now() / 1000 - principal.authTime;
    // A future auth_time (beyond clock skew) is as unproven as a missing one.
    if (age === null || age > maxAgeSeconds || age < -60) {
      await this.audit.recordDenial(principal, { action: 'sign', resource: command.type, reason: age === null ? 'no auth_time' : 'authentication too old', courseId, correlationId });
      throw ApiError.signatureReauthRequired(maxAgeSeconds);
    }
    // The signed record names when the step happened (left out, the decider would default to the entry
    // time, and the stored data would no longer be the data signed).
    Object.assign(data, withClinicalTime(command.type, data, new Date().toISOString()));
    data.signature = { meaning: data.signature.meaning, ...signatureLink(data) };
  }

  /**
   * The course as its record states it (not a workflow query): works with the worker down and for
   * closed courses. `availableSteps` is the protocol's own computation (what may be done now, what is
   * blocked and why, what is due), each step with the roles that may take it, the signature meaning it
   * needs and its window: the same the worklist and the decider use.
   */
  async state(principal: Principal, courseId: string): Promise<CourseState & { availableSteps: AvailableSteps }> {
    this.requireCourseId(courseId);
    const events = await this.readStream(courseId);
    if (events.length === 0 || !principal.sites.includes(String(events[0]!.data['siteId']))) throw ApiError.notFound();
    const state = foldCourse(events);
    return { ...state, availableSteps: availableSteps(state, new Date().toISOString()) };
  }

  async events(principal: Principal, courseId: string): Promise<StoredEvent[]> {
    this.requireCourseId(courseId);
    const events = await this.readStream(courseId);
    const started = events[0];
    if (!started || !principal.sites.includes(String(started.data['siteId']))) throw ApiError.notFound();
    return events;
  }

  /** Every e-signature of the course with the hash of its record recomputed from the stored events (§11.70). */
  async signatures(principal: Principal, courseId: string): Promise<SignatureCheck> {
    return checkSignatures(courseId, await this.events(principal, courseId), new Date().toISOString());
  }

  private parseCommand(body: unknown, principal: Principal, correlationId: string, commandId: string): CourseCommand {
    // The body's shape ({type, data, expectedVersion?}) is the protocol's command schemas, as documented in OpenAPI.
    const parsed = parseCommandRequest(body, HTTP_COMMAND_TYPES);
    if (!parsed.ok) throw ApiError.badRequest(parsed.errors);
    const { expectedVersion } = parsed;
    return {
      ...parsed.command,
      metadata: {
        actor: actorOf(principal),
        now: new Date().toISOString(),
        correlationId,
        commandId,
        ...(expectedVersion !== undefined ? { expectedVersion } : {}),
      },
    } as CourseCommand;
  }

  private requireCourseId(courseId: string): void {
    if (!COURSE_ID.test(courseId)) throw ApiError.notFound();
  }

  /**
   * Whether the course is known (cached) to be at one of the caller's sites. Only that answer is taken
   * from the cache: a course unknown here or of another site is read, so every refusal costs the same
   * read and tells nothing about courses of other sites.
   */
  private knownAtSite(principal: Principal, courseId: string): boolean {
    const site = this.sites.get(courseId);
    return site !== undefined && principal.sites.includes(site);
  }

  /** 404 unless the course's record exists and belongs to one of the caller's sites. */
  private async requireCourseAtSite(principal: Principal, courseId: string): Promise<void> {
    if (this.knownAtSite(principal, courseId)) return;
    const [started] = await this.readStream(courseId, 1, 1);
    if (started) this.sites.set(courseId, String(started.data['siteId']));
    if (!started || !principal.sites.includes(String(started.data['siteId']))) throw ApiError.notFound();
  }

  /** The site check and the receipt's claim in one statement: 404 (nothing written) unless the course is at the caller's site. */
  private async claimAtSite(principal: Principal, claim: Parameters<CommandReceipts['claim']>[0]): Promise<CommandReceipt> {
    const { siteId, receipt } = await this.receipts.claimAtSite(claim, courseStreamId(claim.courseId), principal.sites);
    if (siteId !== null) this.sites.set(claim.courseId, siteId);
    if (!receipt) throw ApiError.notFound();
    return receipt;
  }

  /** The events a command recorded (they carry its id), oldest first. */
  private async recordedEvents(courseId: string, commandId: string): Promise<StoredEvent[]> {
    try {
      return await this.eventStore.readCommandEvents(courseStreamId(courseId), commandId);
    } catch (error) {
      this.health.reportDatabaseError(error);
      throw ApiError.unavailable('The clinical record store');
    }
  }

  private async answerFromRecord(courseId: string, recorded: StoredEvent[]): Promise<CommandResult> {
    return { state: foldCourse(await this.readStream(courseId)), events: recorded.map(asRecorded) };
  }

  private async readStream(courseId: string, fromVersion = 1, toVersion = Number.MAX_SAFE_INTEGER): Promise<StoredEvent[]> {
    try {
      return await this.eventStore.readStream(courseStreamId(courseId), fromVersion, toVersion);
    } catch (error) {
      this.health.reportDatabaseError(error);
      throw ApiError.unavailable('The clinical record store');
    }
  }

  /** The workflow is gone but the course's record exists: closed, or lost by Temporal. */
  private async closedOrMissing(courseId: string): Promise<ApiError> {
    const state = foldCourse(await this.readStream(courseId));
    if (isCourseClosed(state)) {
      return new ApiError({ statusCode: 422, code: 'COURSE_CLOSED', message: 'This course of care is closed; nothing more can be recorded on it.' });
    }
    return ApiError.notFound();
  }

  /**
   * Turns a failed Temporal call into the answer to give: a refusal (kept on the receipt, so a retry
   * is answered the same), a pending outcome (202), or an error that claims nothing it cannot know.
   */
  private async settle(error: unknown, receipt: CommandReceipt | Omit<CommandReceipt, 'created'>, courseId: string, commandKey: string): Promise<unknown> {
    const mapped = await this.mapTemporalError(error);
    const statusUrl = commandStatusUrl(courseId, commandKey);
    if (mapped instanceof OutcomeUnknown) {
      if (!mapped.reachable) {
        // Readiness reports an unreachable Temporal now, not after its next check.
        if (mapped.unavailable) this.health.markDown('temporal');
        return ApiError.outcomeUnknown(commandKey, statusUrl);
      }
      return new PendingAnswer({
        courseId,
        commandId: commandKey,
        status: 'pending',
        message: 'The command was sent but its outcome is not known yet (for example, no worker is running). It is executed at most once; read its outcome at statusUrl, or retry with the same Idempotency-Key.',
        statusUrl,
      });
    }
    // A refusal is final for this command id; a failure of the course's record is not (an operator repairs it).
    if (mapped instanceof ApiError && mapped.isRefusal && !mapped.body.code.startsWith('RECORD_')) await this.receipts.recordRefusal(receipt.scope, receipt.key, mapped.body).catch(() => undefined);
    return mapped;
  }

  /** Runs a Temporal call under a deadline. */
  private async temporalCall<T>(call: () => Promise<T>): Promise<T> {
    return this.connection.withDeadline(Date.now() + this.config.commands.answerTimeoutMs, call);
  }

  private async mapTemporalError(error: unknown): Promise<unknown> {
    if (error instanceof ApiError) return error;
    if (error instanceof WorkflowUpdateFailedError) {
      const cause = error.cause;
      if (cause instanceof ApplicationFailure && cause.type === COMMAND_REJECTED_FAILURE && cause.details?.[0]) {
        return refusal(rejectionToError(cause.details[0] as Rejection));
      }
      // The workflow failed the command in a way it does not describe: nothing is known about its record.
      return new ApiError({ statusCode: 500, code: 'INTERNAL_ERROR', message: 'The command failed unexpectedly. Read its outcome with its command id before repeating it.' });
    }
    if (error instanceof WorkflowNotFoundError) return ApiError.notFound();
    if (error instanceof WorkflowExecutionAlreadyStartedError) {
      return new ApiError({ statusCode: 409, code: 'COURSE_ALREADY_STARTED', message: 'A course with this Idempotency-Key exists and is closed.' });
    }
    if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return new OutcomeUnknown(true);
    const name = (error as { name?: string })?.name ?? '';
    const transportFailure = ['TransportError', 'ServiceError', 'TimeoutError'].includes(name) || /connect|deadline|unavailable/i.test(String((error as Error)?.message));
    if (transportFailure || isGrpcServiceError(error) || isGrpcServiceError((error as { cause?: unknown })?.cause)) {
      // Deadline exceeded: the request reached the server. Anything else: it may or may not have.
      const deadline = isGrpcServiceError(error) && error.code === GRPC_DEADLINE_EXCEEDED;
      const cause = (error as { cause?: unknown })?.cause;
      const unavailable =
        name === 'TransportError' ||
        /connect|unavailable/i.test(String((error as Error)?.message)) ||
        [error, cause].some((e) => isGrpcServiceError(e) && e.code === GRPC_UNAVAILABLE);
      return new OutcomeUnknown(deadline, !deadline && unavailable);
    }
    return error;
  }
}

/** The 202 answer travels as a thrown value through `settle`'s callers, then becomes the response. */
export class PendingAnswer extends Error {
  constructor(readonly body: PendingCommand) {
    super('pending');
  }
}

const refusal = (error: ApiError): ApiError => {
  error.isRefusal = true;
  return error;
};

const notRecorded = (commandKey: string): CommandStatus => ({
  commandId: commandKey,
  status: 'not_recorded',
  message: 'This command is not in the record and the workflow service holds no pending command with this id. Sending it again with the same Idempotency-Key executes it.',
});

const commandScope = (p: Principal, courseId: string): string => `commands|${p.id}|${p.siteId}|${courseId}`;
const startScope = (p: Principal): string => `start|${p.id}|${p.siteId}`;

const asRecorded = (e: StoredEvent): RecordedEvent => ({
  eventId: e.eventId,
  streamVersion: e.streamVersion,
  globalPosition: e.globalPosition,
  type: e.type,
  schemaVersion: e.schemaVersion,
  data: e.data,
  metadata: e.metadata,
  recordedAt: e.recordedAt,
});
