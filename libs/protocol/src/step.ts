import type { StaffRole } from './actor';
import type { CourseCommandType } from './command';
import type { ProtocolDefinition, SignatureMeaning } from './definitions/protocol-definition';
import type { Rejection, RejectionCode } from './rejection';
import { isBefore } from './time';

/*
 * What `availableSteps` lists: steps, blocked steps and due dates, and the collector each area's steps
 * (areas/<area>/<area>.steps.ts) add theirs to.
 */

/**
 * A step a user could take next: the command, what it applies to (visit, criterion, time point and
 * instrument, record), a label for clinicians, who may take it and the signature it needs, and its time
 * window if it has one. Enough to build the command: the web console, the API and the worklist read these.
 */
export type Step = {
  command: CourseCommandType;
  label: string;
  sessionKey?: string;
  /** The eligibility criterion a RecordEligibilityCriterion step records. */
  criterionId?: string;
  /** The criteria still to record, for a RecordEligibilityCriteria step (the checklist as one signed step). */
  criterionIds?: string[];
  /** Where a RecordAssessment step records: `baseline`, the visit in progress or an assessment point. */
  timepoint?: string;
  /** The instrument a RecordAssessment step records. */
  instrument?: string;
  /** Stream version the step refers to (an adverse event to classify, a hold to clear). */
  ref?: number;
  /**
   * The earliest clinical time of the step: a window opening (visit interval, assessment point,
   * supplemental dose), the end of a washout the visit waits for, or the minimum monitoring time before
   * discharge. For ScheduleSession, the earliest time the visit may be scheduled for.
   */
  earliest?: string;
  /** The latest: a window closing, or the deadline of the monitoring form (a late form is still taken, flagged late). */
  latest?: string;
  /** The due date in `due` that is this step's deadline, by its key. */
  dueKey?: string;
  /** The roles the protocol permits to take the step (none before a course, and so its protocol, exists). */
  roles: StaffRole[];
  /** The meaning the step's electronic signature must state, or null when the protocol asks for none. */
  signatureMeaning: SignatureMeaning | null;
};
/** A blocked step, with the rejection code and sentence `decide` gives for it now. */
export type BlockedStep = Step & { reason: RejectionCode; message: string };
/** A step as the areas' rules list it, before the protocol's roles and signature meaning are added. */
export type StepSpec = Omit<Step, 'roles' | 'signatureMeaning'>;
/** A deadline or target time; `overdue` when `now` is past it. */
export type DueDate = {
  /** Stable identity of this due date (step, visit, label and time); the workflow's notices refer to it. */
  key: string;
  label: string;
  command: CourseCommandType;
  sessionKey?: string;
  dueAt: string;
  overdue: boolean;
  /** Whether a reminder ahead of it makes sense (not for windows measured in minutes). */
  remind: boolean;
  /** Passing it voids the eligibility determination. */
  expiresEligibility?: true;
};

/** The key of a due date. Contains no personal data: command, visit key, label and time only. */
export const dueKeyOf = (command: string, sessionKey: string | undefined, label: string, dueAt: string): string =>
  `${command}|${sessionKey ?? ''}|${label}|${dueAt}`;

type DueOptions = { sessionKey?: string; remind?: boolean; expiresEligibility?: true };
export type AvailableSteps = { available: Step[]; blocked: BlockedStep[]; due: DueDate[] };

/** A step with the roles the protocol permits for its command and the signature meaning it requires. */
export const describeStep = <S extends StepSpec>(def: ProtocolDefinition | undefined, step: S): S & Pick<Step, 'roles' | 'signatureMeaning'> => ({
  ...step,
  roles: [...(def?.permissions[step.command] ?? [])],
  signatureMeaning: def?.signatures[step.command] ?? null,
});

export type Collector = {
  result: AvailableSteps;
  step: (step: StepSpec, rejection: Rejection | null) => void;
  /** Adds a due date (none when `dueAt` is absent) and returns its key. */
  dueAt: (label: string, command: CourseCommandType, dueAt: string | null | undefined, options?: DueOptions) => string | undefined;
};

/** Collects steps, sorting each into available or blocked by the rule the decider would apply. */
export const collector = (def: ProtocolDefinition | undefined, now: string): Collector => {
  const result: AvailableSteps = { available: [], blocked: [], due: [] };
  return {
    result,
    step: (spec, rejection) => {
      const step = describeStep(def, spec);
      if (rejection) result.blocked.push({ ...step, reason: rejection.code, message: rejection.message });
      else result.available.push(step);
    },
    dueAt: (label, command, dueAt, options = {}) => {
      if (!dueAt) return undefined;
      const { sessionKey, remind = true, expiresEligibility } = options;
      const key = dueKeyOf(command, sessionKey, label, dueAt);
      result.due.push({
        key,
        label,
        command,
        ...(sessionKey ? { sessionKey } : {}),
        dueAt,
        overdue: isBefore(dueAt, now),
        remind,
        ...(expiresEligibility ? { expiresEligibility } : {}),
      });
      return key;
    },
  };
};

/** Optional fields only when they have a value. */
export const present = <T extends Record<string, unknown>>(fields: T): { [K in keyof T]?: NonNullable<T[K]> } =>
  Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined && v !== null)) as { [K in keyof T]?: NonNullable<T[K]> };
