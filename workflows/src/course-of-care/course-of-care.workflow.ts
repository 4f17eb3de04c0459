import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { decide, evolve, initialState, type CourseCommand, type CourseState, type Rejection } from '@care/protocol';
import {
  COMMAND_REJECTED_FAILURE,
  courseStateQuery,
  courseStreamId,
  CoursePhaseKey,
  CourseSiteKey,
  CourseStatusKey,
  submitCommandUpdate,
  type CommandResult,
  type CourseActivities,
  type CourseWorkflowInput,
} from '@care/contracts';

// Appends retry until PostgreSQL answers again: an accepted command's events must never be dropped.
const { appendEvents } = proxyActivities<CourseActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const rejected = (rejection: Rejection): ApplicationFailure =>
  ApplicationFailure.create({ type: COMMAND_REJECTED_FAILURE, message: rejection.message, details: [rejection], nonRetryable: true });

/** The workflow's clock is authoritative for every decision (deterministic under replay). */
const stamped = (command: CourseCommand): CourseCommand =>
  ({ ...command, metadata: { ...command.metadata, now: new Date().toISOString() } }) as CourseCommand;

const isClosed = (state: CourseState): boolean => state.status === 'withdrawn' || state.status === 'completed';

/**
 * One course of care. It owns the course's state and is the only writer of its event stream:
 * commands arrive as Updates, `decide` validates them, accepted events are folded with `evolve`
 * and appended to PostgreSQL in order through an idempotent activity.
 */
export async function courseOfCare(input: CourseWorkflowInput): Promise<CourseState> {
  let state: CourseState = input.state ?? initialState();
  // Appends run one after another in the order their commands were decided, so stream versions never race.
  let appendTail: Promise<unknown> = Promise.resolve();

  const publishSearchAttributes = (): void => {
    upsertSearchAttributes([
      { key: CourseStatusKey, value: state.status },
      { key: CoursePhaseKey, value: state.phase ?? 'none' },
      ...(state.siteId ? [{ key: CourseSiteKey, value: state.siteId }] : []),
    ]);
  };

  setHandler(courseStateQuery, () => state);

  setHandler(
    submitCommandUpdate,
    async (command): Promise<CommandResult> => {
      // Decide and evolve before the first await: concurrent updates each see the state left by the previous one.
      const decision = decide(stamped(command), state);
      if (!decision.ok) throw rejected(decision.rejection);
      const expectedVersion = state.version;
      state = decision.events.reduce(evolve, state);
      const after = state;
      publishSearchAttributes();
      const append = appendTail.then(() =>
        appendEvents({
          streamId: courseStreamId(input.courseId),
          streamType: 'course',
          expectedVersion,
          events: decision.events.map((e) => ({
            type: e.type,
            schemaVersion: e.schemaVersion,
            data: e.data as Record<string, unknown>,
            metadata: e.metadata as unknown as Record<string, unknown>,
          })),
        }),
      );
      appendTail = append.catch(() => undefined);
      return { state: after, events: await append };
    },
    {
      validator: (command) => {
        const decision = decide(stamped(command), state);
        if (!decision.ok) throw rejected(decision.rejection);
      },
    },
  );

  await condition(() => isClosed(state) || workflowInfo().continueAsNewSuggested);
  // Let in-flight updates finish (their appends included) before closing or handing over to a new run.
  await condition(allHandlersFinished);
  await appendTail;
  if (isClosed(state)) return state;
  return continueAsNew<typeof courseOfCare>({ courseId: input.courseId, state });
}
