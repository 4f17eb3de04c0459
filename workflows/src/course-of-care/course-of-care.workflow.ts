import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
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
  initialState,
  pendingNotices,
  type CourseCommand,
  type CourseEvent,
  type CourseState,
  type Rejection,
} from '@care/protocol';
import {
  COMMAND_REJECTED_FAILURE,
  courseStateQuery,
  courseStreamId,
  CoursePhaseKey,
  CourseNextDueAtKey,
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
  type RecordedEvent,
} from '@care/contracts';
import { SYSTEM_ACTOR } from '../shared/system-actor';

// Appends retry until PostgreSQL answers again: an accepted command's events must never be dropped.
const { appendEvents, notify } = proxyActivities<CourseActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Patch ids: each names a behaviour that courses started before it did not have (see README, versioning). */
export const PATCHES = {
  dosingSessionChild: 'dosing-session-child-v1',
  dueDateTimers: 'due-date-timers-v1',
  notifyInAppend: 'notify-in-append-v1',
} as const;

/** How long after its target a scheduled vital-sign reading may arrive before it counts as missed. */
const MISSED_READING_GRACE_MINUTES = 15;

const rejected = (rejection: Rejection): ApplicationFailure =>
  ApplicationFailure.create({ type: COMMAND_REJECTED_FAILURE, message: rejection.message, details: [rejection], nonRetryable: true });

/** The workflow's clock is authoritative for every decision (deterministic under replay). */
const stamped = (command: CourseCommand): CourseCommand =>
  ({ ...command, metadata: { ...command.metadata, now: new Date().toISOString() } }) as CourseCommand;

const isClosed = (state: CourseState): boolean => state.status === 'withdrawn' || state.status === 'completed';

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
            doseAt: event.metadata.occurredAt,
            schedule: def.dosing.vitals.postDose.map((p) => ({ ...p })),
            graceMinutes: MISSED_READING_GRACE_MINUTES,
            minimumMonitoringMinutes: def.dosing.minimumMonitoringMinutes,
          };
          // ABANDON: the child must outlive a continue-as-new of this run; withdrawal cancels it explicitly.
          void startChild(DOSING_SESSION_WORKFLOW_TYPE, {
            workflowId: childId,
            args: [childInput],
            parentClosePolicy: ParentClosePolicy.ABANDON,
          }).catch(() => undefined);
          break;
        }
        case 'VitalsRecorded':
          if (childId && openDosingSessions().includes(childId)) {
            const measuredAt = (event.data as { measuredAt?: string }).measuredAt ?? event.metadata.occurredAt;
            void getExternalWorkflowHandle(childId).signal(vitalsRecordedSignal, { measuredAt }).catch(() => undefined);
          }
          break;
        case 'PatientDischarged':
          if (childId) void getExternalWorkflowHandle(childId).signal(dischargedSignal, { at: event.metadata.occurredAt }).catch(() => undefined);
          break;
        case 'SessionCancelled': {
          const previous = before.sessions.find((s) => s.key === data.sessionKey);
          if (previous?.dosing?.initialDose && !previous.dosing.discharge) {
            void getExternalWorkflowHandle(dosingSessionWorkflowId(courseId, previous.key, previous.attempt))
              .cancel()
              .catch(() => undefined);
          }
          break;
        }
        case 'CourseWithdrawn':
          for (const s of before.sessions) {
            if (s.dosing?.initialDose && !s.dosing.discharge) {
              void getExternalWorkflowHandle(dosingSessionWorkflowId(courseId, s.key, s.attempt))
                .cancel()
                .catch(() => undefined);
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
    const decision = decide(stamped(command), state);
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
    const recorded = appendTail.then(() =>
      appendEvents({
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
      }),
    );
    // (Before the patch: notifications follow their events in a second activity.)
    pendingAppends += 1;
    appendTail = recorded
      .then((events) => (notifyInAppend ? undefined : notify({ courseId, siteId, events })))
      .catch(() => undefined)
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
      const result = apply(command);
      if (!result.ok) throw rejected(result.rejection);
      return { state: result.state, events: await result.recorded };
    },
    {
      validator: (command) => {
        const decision = decide(stamped(command), state);
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
    isClosed(state) || workflowInfo().continueAsNewSuggested || (historyLimit !== undefined && workflowInfo().historyLength >= historyLimit);
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
  if (isClosed(state)) return state;
  return continueAsNew<typeof courseOfCare>({ courseId, state, ...(historyLimit !== undefined ? { continueAsNewAfterEvents: historyLimit } : {}) });
}
