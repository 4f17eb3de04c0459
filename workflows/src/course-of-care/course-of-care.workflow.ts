import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import {
  decide,
  evolve,
  findProtocol,
  findUnstorableText,
  initialState,
  isCourseClosed as isClosed,
  pendingNotices,
  type CourseCommand,
  type CourseEvent,
  type CourseState,
  type Rejection,
} from '@care/protocol';
import {
  COMMAND_REJECTED_FAILURE,
  COURSE_RECORD_FAILURE,
  courseStateQuery,
  courseStreamId,
  CoursePhaseKey,
  CourseNextDueAtKey,
  CourseRecordKey,
  CourseSiteKey,
  CourseStatusKey,
  dischargedSignal,
  DOSING_SESSION_WORKFLOW_TYPE,
  dosingSessionWorkflowId,
  missedVitalsSignal,
  submitCommandUpdate,
  vitalsRecordedSignal,
  type CommandResult,
  type CourseActivities,
  type CourseWorkflowInput,
  type DosingSessionInput,
  type RecordedCommand,
  type RecordedEvent,
} from '@care/contracts';
import { SYSTEM_ACTOR } from '../shared/system-actor';

// Appends retry until PostgreSQL answers again: an accepted command's events must never be dropped.
// The activity itself turns a failure that retrying cannot cure (the store refusing the rows, a
// stream written around the workflow) into a non-retryable one, which stops the course (see below).
const { appendEvents, notify } = proxyActivities<CourseActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Patch ids: each names a behaviour that courses started before it did not have (see README, versioning). */
export const PATCHES = {
  dosingSessionChild: 'dosing-session-child-v1',
  dueDateTimers: 'due-date-timers-v1',
  notifyInAppend: 'notify-in-append-v1',
  recordFailureStops: 'record-failure-stops-v1',
  commandIds: 'command-ids-v1',
  clinicalTimes: 'clinical-times-v1',
} as const;

/** How many recent command ids a run remembers (and hands to the next run) to answer a retried command. */
const RECENT_COMMANDS_KEPT = 256;

/** How long after its target a scheduled vital-sign reading may arrive before it counts as missed. */
const MISSED_READING_GRACE_MINUTES = 15;

const rejected = (rejection: Rejection): ApplicationFailure =>
  ApplicationFailure.create({ type: COMMAND_REJECTED_FAILURE, message: rejection.message, details: [rejection], nonRetryable: true });

/** The workflow's clock is authoritative for every decision (deterministic under replay). */
const stamped = (command: CourseCommand): CourseCommand =>
  ({ ...command, metadata: { ...command.metadata, now: new Date().toISOString() } }) as CourseCommand;


/** Why the course's record could not be written; once set, the course takes no more commands. */
type RecordFailure = { code: 'RECORD_DIVERGED' | 'RECORD_UNAVAILABLE'; cause: string };

const recordFailureRejection = (failure: RecordFailure): Rejection => ({
  code: failure.code,
  message:
    'The record of this course could not be written, so the course accepts no more steps until an operator has repaired it. ' +
    'Please record this step on paper and inform your system administrator.',
});

/** The failure type of an append that stopped for good (from the activity's ApplicationFailure, if any). */
const failureType = (error: unknown): string => {
  const cause = (error as { cause?: { type?: unknown; name?: unknown } })?.cause;
  return typeof cause?.type === 'string' ? cause.type : typeof cause?.name === 'string' ? cause.name : 'unknown';
};

/**
 * One course of care. It owns the course's state and is the only writer of its event stream:
 * staff commands arrive as Updates, `decide` validates them (a refused command never enters history),
 * accepted events are folded with `evolve` and appended to PostgreSQL in order through an idempotent
 * activity. A dosing session runs as a child workflow that keeps the vitals schedule.
 */
export async function courseOfCare(input: CourseWorkflowInput): Promise<CourseState> {
  const { courseId } = input;
  let state: CourseState = input.state ?? initialState();
  // Appends run one after another in the order their commands were decided, so stream versions never race.
  let appendTail: Promise<unknown> = Promise.resolve();
  let pendingAppends = 0;

  // Decided once, before the first await, so the patch marker sits at the same place in every history.
  const timersOn = patched(PATCHES.dueDateTimers);
  // Since record-failure-stops-v1 a failed append stops the course (before: it was swallowed and the
  // course went on deciding on a state the record lacked).
  const stopOnRecordFailure = patched(PATCHES.recordFailureStops);
  let recordFailure: RecordFailure | null = null;
  // Since command-ids-v1 a command id seen before (in this run or, for recent ones, the previous run)
  // answers with what it recorded instead of executing again. Temporal deduplicates update ids only
  // within one run; older commands are found in the record by the API.
  const commandIdsOn = patched(PATCHES.commandIds);
  // Since clinical-times-v1 the decider holds every command to the clinical-time rules (not in the future,
  // not before the step it follows, a reason for a late entry, no visit scheduled in the past). A run that
  // began before decides its commands without them, as its history was decided, unless a command names a
  // clinical time itself.
  const decideOptions = { clinicalTimeRules: patched(PATCHES.clinicalTimes) };
  const recentCommands = new Map<string, RecordedCommand>(input.recentCommands ?? []);
  const inFlightCommands = new Map<string, Promise<CommandResult>>();
  const remember = (commandId: string, recorded: RecordedEvent[]): void => {
    const first = recorded[0];
    const last = recorded[recorded.length - 1];
    if (!first || !last) return;
    recentCommands.set(commandId, { fromVersion: first.streamVersion, toVersion: last.streamVersion });
    for (const old of recentCommands.keys()) {
      if (recentCommands.size <= RECENT_COMMANDS_KEPT) break;
      recentCommands.delete(old);
    }
  };

  /** Called once an append failed for good: nothing more is decided, appended or timed on this course. */
  const stopForRecordFailure = (error: unknown): void => {
    if (recordFailure) return;
    const type = failureType(error);
    recordFailure = { code: type === 'StreamVersionConflict' ? 'RECORD_DIVERGED' : 'RECORD_UNAVAILABLE', cause: type };
    log.error('Course record could not be written; the course accepts no more commands until an operator repairs it', {
      courseId,
      decidedVersion: state.version,
      failure: type,
    });
    upsertSearchAttributes([{ key: CourseRecordKey, value: 'failed' }]);
  };
  const publishSearchAttributes = (): void => {
    const next = timersOn ? pendingNotices(state, new Date().toISOString())[0] : undefined;
    upsertSearchAttributes([
      { key: CourseStatusKey, value: state.status },
      { key: CoursePhaseKey, value: state.phase ?? 'none' },
      ...(state.siteId ? [{ key: CourseSiteKey, value: state.siteId }] : []),
      ...(timersOn ? [{ key: CourseNextDueAtKey, value: next ? new Date(next.due.dueAt) : null }] : []),
    ]);
  };

  /** Child workflow ids of dosing sessions that are dosed but not yet discharged. Derived, so it survives continue-as-new. */
  const openDosingSessions = (): string[] =>
    state.sessions
      .filter((s) => s.dosing?.initialDose && !s.dosing.discharge)
      .map((s) => dosingSessionWorkflowId(courseId, s.key, s.attempt));

  /** A child that is already gone (e.g. discharged before a late signal) is expected; anything else is logged. */
  const logChildFailure =
    (action: string, childId: string) =>
    (error: unknown): void => {
      log.warn(`Could not ${action} ${childId}`, { courseId, childId, failure: (error as Error)?.name ?? 'unknown' });
    };

  /** Side effects of newly accepted events on the dosing-session children. Runs after the state has moved on. */
  const driveChildren = (events: CourseEvent[], before: CourseState): void => {
    if (!patched(PATCHES.dosingSessionChild)) return;
    for (const event of events) {
      const data = event.data as { sessionKey?: string };
      const session = data.sessionKey ? state.sessions.find((s) => s.key === data.sessionKey) : undefined;
      const childId = session ? dosingSessionWorkflowId(courseId, session.key, session.attempt) : null;
      switch (event.type) {
        case 'DoseAdministered': {
          const def = state.protocol && findProtocol(state.protocol.id, state.protocol.version);
          if (!def || !session || !childId) break;
          const childInput: DosingSessionInput = {
            courseId,
            sessionKey: session.key,
            attempt: session.attempt,
            // The dose's clinical time: a dose entered late keeps its real schedule.
            doseAt: session.dosing?.initialDose?.at ?? event.metadata.occurredAt,
            enteredAt: event.metadata.occurredAt,
            schedule: def.dosing.vitals.postDose.map((p) => ({ ...p })),
            graceMinutes: MISSED_READING_GRACE_MINUTES,
            minimumMonitoringMinutes: def.dosing.minimumMonitoringMinutes,
          };
          // ABANDON: the child must outlive a continue-as-new of this run; withdrawal cancels it explicitly.
          void startChild(DOSING_SESSION_WORKFLOW_TYPE, {
            workflowId: childId,
            args: [childInput],
            parentClosePolicy: ParentClosePolicy.ABANDON,
          }).catch(logChildFailure('start the dosing-session workflow', childId));
          break;
        }
        case 'VitalsRecorded':
          if (childId && openDosingSessions().includes(childId)) {
            const measuredAt = (event.data as { measuredAt?: string }).measuredAt ?? event.metadata.occurredAt;
            void getExternalWorkflowHandle(childId)
              .signal(vitalsRecordedSignal, { measuredAt })
              .catch(logChildFailure('signal a vitals reading to', childId));
          }
          break;
        case 'PatientDischarged':
          if (childId) {
            void getExternalWorkflowHandle(childId)
              .signal(dischargedSignal, { at: (event.data as { performedAt?: string }).performedAt ?? event.metadata.occurredAt })
              .catch(logChildFailure('signal the discharge to', childId));
          }
          break;
        case 'SessionCancelled': {
          const previous = before.sessions.find((s) => s.key === data.sessionKey);
          if (previous?.dosing?.initialDose && !previous.dosing.discharge) {
            const id = dosingSessionWorkflowId(courseId, previous.key, previous.attempt);
            void getExternalWorkflowHandle(id).cancel().catch(logChildFailure('cancel', id));
          }
          break;
        }
        case 'CourseWithdrawn':
          for (const s of before.sessions) {
            if (s.dosing?.initialDose && !s.dosing.discharge) {
              const id = dosingSessionWorkflowId(courseId, s.key, s.attempt);
              void getExternalWorkflowHandle(id).cancel().catch(logChildFailure('cancel', id));
            }
          }
          break;
        default:
          break;
      }
    }
  };

  /**
   * Decides a command against the current state and, if accepted, folds and appends its events.
   * Everything before the first await is synchronous, so concurrent handlers each see the state the
   * previous one left.
   */
  const apply = (command: CourseCommand): { ok: true; state: CourseState; recorded: Promise<RecordedEvent[]> } | { ok: false; rejection: Rejection } => {
    if (recordFailure) return { ok: false, rejection: recordFailureRejection(recordFailure) };
    const decision = decide(stamped(command), state, decideOptions);
    if (!decision.ok) return decision;
    const before = state;
    const expectedVersion = state.version;
    state = decision.events.reduce(evolve, state);
    const after = state;
    publishSearchAttributes();
    driveChildren(decision.events, before);
    const siteId = after.siteId ?? '';
    // Since notify-in-append-v1 the append activity also records the notifications, in the same call:
    // with a second activity per command, a steady stream of commands always had one in flight and
    // continue-as-new (which waits for nothing to be pending) could be put off indefinitely.
    const notifyInAppend = patched(PATCHES.notifyInAppend);
    const recorded = appendTail.then(() => {
      // Behind a failed append nothing more is written: its versions would build on events the record lacks.
      if (recordFailure) throw ApplicationFailure.create({ type: COURSE_RECORD_FAILURE, message: 'an earlier append failed', nonRetryable: true });
      return appendEvents({
        streamId: courseStreamId(courseId),
        streamType: 'course',
        expectedVersion,
        ...(notifyInAppend ? { notify: { courseId, siteId } } : {}),
        events: decision.events.map((e) => ({
          type: e.type,
          schemaVersion: e.schemaVersion,
          data: e.data as Record<string, unknown>,
          metadata: e.metadata as unknown as Record<string, unknown>,
        })),
      });
    });
    // (Before the patch: notifications follow their events in a second activity.)
    pendingAppends += 1;
    appendTail = recorded
      .then((events) => (notifyInAppend ? undefined : notify({ courseId, siteId, events })))
      .catch((error: unknown) => {
        if (stopOnRecordFailure) stopForRecordFailure(error);
      })
      .finally(() => {
        pendingAppends -= 1;
      });
    return { ok: true, state: after, recorded };
  };

  /** Commands the workflow itself issues (timers, child reports). Returns whether the decider accepted it. */
  const applySystemResult = (build: (meta: CourseCommand['metadata']) => CourseCommand): boolean => {
    const meta = { actor: { ...SYSTEM_ACTOR, siteId: state.siteId ?? '' }, now: new Date().toISOString(), correlationId: `workflow:${workflowInfo().runId}` };
    return apply(build(meta)).ok;
  };
  /** A refusal is expected here (e.g. the course closed meanwhile) and dropped. */
  const applySystem = (build: (meta: CourseCommand['metadata']) => CourseCommand): void => {
    applySystemResult(build);
  };

  setHandler(courseStateQuery, () => state);

  setHandler(
    submitCommandUpdate,
    async (command): Promise<CommandResult> => {
      const commandId = commandIdsOn ? command.metadata.commandId : undefined;
      if (commandId) {
        // A retried command: the same answer, never a second execution.
        const inFlight = inFlightCommands.get(commandId);
        if (inFlight) return inFlight;
        const done = recentCommands.get(commandId);
        if (done) return { state, events: [], alreadyRecorded: done };
      }
      const result = apply(command);
      if (!result.ok) throw rejected(result.rejection);
      const answer = result.recorded.then(
        (events): CommandResult => {
          if (commandId) remember(commandId, events);
          return { state: result.state, events };
        },
        (error: unknown) => {
          if (!stopOnRecordFailure) throw error;
          stopForRecordFailure(error);
          throw rejected(recordFailureRejection(recordFailure ?? { code: 'RECORD_UNAVAILABLE', cause: failureType(error) }));
        },
      );
      if (commandId) {
        inFlightCommands.set(commandId, answer);
        void answer.then(
          () => inFlightCommands.delete(commandId),
          () => inFlightCommands.delete(commandId),
        );
      }
      return answer;
    },
    {
      validator: (command) => {
        const commandId = commandIdsOn ? command.metadata.commandId : undefined;
        if (commandId && (inFlightCommands.has(commandId) || recentCommands.has(commandId))) return;
        if (recordFailure) throw rejected(recordFailureRejection(recordFailure));
        // The API refuses such text first; this keeps any other caller from jamming the course.
        const unstorable = findUnstorableText(command.data, 'data');
        if (unstorable) throw rejected({ code: 'UNSTORABLE_TEXT', message: `The field ${unstorable.field} ${unstorable.message}.` });
        const decision = decide(stamped(command), state, decideOptions);
        if (!decision.ok) throw rejected(decision.rejection);
      },
    },
  );

  setHandler(missedVitalsSignal, ({ sessionKey, attempt, label, dueAt }) => {
    const session = state.sessions.find((s) => s.key === sessionKey);
    if (!session || session.attempt !== attempt) return; // a report about an abandoned attempt
    applySystem((metadata) => ({
      type: 'RaiseAlert',
      data: { sessionKey, reason: `Scheduled vital signs (${label}, due ${dueAt}) were not recorded.` },
      metadata,
    }));
  });

  // A course whose start was refused or never arrived ends instead of lingering as an empty workflow.
  if (state.status === 'not_started') {
    const started = await condition(() => state.status !== 'not_started', '10 minutes');
    if (!started) {
      await condition(allHandlersFinished);
      return state;
    }
  }

  const historyLimit = input.continueAsNewAfterEvents;
  const mustStop = (): boolean =>
    recordFailure !== null ||
    isClosed(state) ||
    workflowInfo().continueAsNewSuggested ||
    (historyLimit !== undefined && workflowInfo().historyLength >= historyLimit);
  if (!timersOn) {
    await condition(mustStop);
  } else {
    // Durable timers from the protocol: sleep until the next owed notice (reminder, overdue,
    // escalation, lapsed eligibility), wake early whenever the course changes, record what is due.
    const refused = new Set<string>(); // a notice the decider refused is not retried in this run
    while (!mustStop()) {
      const seen = state.version;
      const now = new Date().toISOString();
      const owed = pendingNotices(state, now).filter((n) => !refused.has(`${n.notice}|${n.due.key}`));
      const next = owed[0];
      const wait = next ? Date.parse(next.fireAt) - Date.now() : undefined;
      if (wait === undefined || wait > 0) {
        const changed = await condition(() => state.version !== seen || mustStop(), wait);
        if (changed || wait === undefined) continue;
      }
      for (const n of pendingNotices(state, new Date().toISOString())) {
        if (Date.parse(n.fireAt) > Date.now() || refused.has(`${n.notice}|${n.due.key}`)) continue;
        const result = applySystemResult((metadata) => ({
          type: 'RecordDueDateNotice',
          data: { notice: n.notice, dueKey: n.due.key, dueAt: n.due.dueAt },
          metadata,
        }));
        if (!result) refused.add(`${n.notice}|${n.due.key}`);
      }
    }
  }
  // Let in-flight updates finish, and every accepted command's events reach PostgreSQL, before closing
  // or handing over to a new run: nothing accepted may be lost across continue-as-new.
  await condition(() => allHandlersFinished() && pendingAppends === 0);
  if (recordFailure) {
    // Stay open, refusing every command with the failure's code, until an operator has repaired the
    // record (then resets or terminates this run). Closing or continuing would hide the failure.
    await condition(() => false);
  }
  if (isClosed(state)) return state;
  return continueAsNew<typeof courseOfCare>({
    courseId,
    state,
    ...(historyLimit !== undefined ? { continueAsNewAfterEvents: historyLimit } : {}),
    ...(commandIdsOn ? { recentCommands: [...recentCommands.entries()] } : {}),
  });
}
