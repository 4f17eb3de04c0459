import type { StaffRole } from './actor';
import type { CourseCommandType } from './command';
import type { ProtocolDefinition, ScreeningStep, SignatureMeaning } from './definitions/protocol-definition';
import { findProtocol } from './definitions/registry';
import { reject, type Rejection, type RejectionCode } from './rejection';
import {
  completeCourseRejection,
  completeRejection,
  dischargeRejection,
  doseRejection,
  earliestDischarge,
  ineligibilityReasons,
  missingScreening,
  monitoringFormDue,
  pointRecorded,
  pointRejection,
  pointWindow,
  scheduleRejection,
  sessionDefinition,
  startRejection,
  supplementalRejection,
  supplementalWindow,
  visitStartWindow,
} from './rules/course.rules';
import { addHours, addMinutes, isBefore } from './rules/time';
import { activeHolds, isCourseClosed, type CourseState, type SessionState } from './state';

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
/** A step as the rules below list it, before the protocol's roles and signature meaning are added. */
type StepSpec = Omit<Step, 'roles' | 'signatureMeaning'>;
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

const SCREENING_COMMANDS: Record<ScreeningStep, { command: CourseCommandType; label: string }> = {
  consent: { command: 'RecordInformedConsent', label: 'Record informed consent' },
  emergency_contact: { command: 'RecordEmergencyContact', label: 'Record the emergency contact' },
  criteria: { command: 'RecordEligibilityCriterion', label: 'Record the eligibility criteria with evidence' },
  baseline_assessment: { command: 'RecordAssessment', label: 'Record the baseline assessment' },
  medical_clearance: { command: 'RecordMedicalClearance', label: 'Record the medical clearance' },
  washout: { command: 'RecordMedicationWashout', label: 'Record the medication washout' },
  pregnancy_test: { command: 'RecordPregnancyTest', label: 'Record the pregnancy test' },
};

type Collector = {
  result: AvailableSteps;
  step: (step: StepSpec, rejection: Rejection | null) => void;
  /** Adds a due date (none when `dueAt` is absent) and returns its key. */
  dueAt: (label: string, command: CourseCommandType, dueAt: string | null | undefined, options?: DueOptions) => string | undefined;
};

/** Collects steps, sorting each into available or blocked by the rule the decider would apply. */
const collector = (def: ProtocolDefinition | undefined, now: string): Collector => {
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
const present = <T extends Record<string, unknown>>(fields: T): { [K in keyof T]?: NonNullable<T[K]> } =>
  Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined && v !== null)) as { [K in keyof T]?: NonNullable<T[K]> };

/** The refusal `decide` gives any step but consent before informed consent is on record. */
const CONSENT_FIRST: Rejection = reject('STEP_OUT_OF_ORDER', 'Informed consent must be recorded before this step.', { missing: 'RecordInformedConsent' });

const screeningSteps = (def: ProtocolDefinition, state: CourseState, out: Collector): void => {
  const missing = missingScreening(def, state);
  for (const item of missing) {
    const { command, label } = SCREENING_COMMANDS[item];
    const needsConsent = item !== 'consent' && !state.screening.consentRecorded;
    const refusal = needsConsent ? CONSENT_FIRST : null;
    if (item === 'criteria') {
      // One step per criterion still to record: each is its own record, with its own evidence.
      const open = def.screening.criteria.filter((c) => state.screening.criteria[c.id] === undefined);
      for (const c of open) {
        out.step({ command, label: `Record the eligibility criterion "${c.text}" with evidence`, criterionId: c.id }, refusal);
      }
      // Where the protocol has it, the whole remaining checklist is also one step under one signature.
      if (def.permissions.RecordEligibilityCriteria !== undefined) {
        out.step(
          { command: 'RecordEligibilityCriteria', label: `Record the ${open.length} remaining eligibility criteria with evidence, signed once`, criterionIds: open.map((c) => c.id) },
          refusal,
        );
      }
    } else if (item === 'baseline_assessment') {
      out.step({ command, label, timepoint: 'baseline', ...present({ instrument: def.screening.baseline?.instrument }) }, refusal);
    } else {
      out.step({ command, label }, refusal);
    }
  }
  const reasons = ineligibilityReasons(def, state);
  out.step(
    { command: 'DetermineEligibility', label: 'Determine eligibility' },
    missing.length > 0
      ? { code: 'STEP_OUT_OF_ORDER', message: 'Screening is not complete.' }
      : reasons.length > 0
        ? { code: 'INELIGIBLE', message: 'The screening records do not support eligibility; only a finding of ineligibility can be recorded.' }
        : null,
  );
};

const visitSteps = (def: ProtocolDefinition, state: CourseState, session: SessionState, now: string, out: Collector): void => {
  const key = session.key;
  const label = sessionDefinition(def, key)!.label;
  for (const instrument of sessionDefinition(def, key)!.requiredAssessments) {
    if (!session.assessments.includes(instrument)) {
      out.step({ command: 'RecordAssessment', label: `Record the ${instrument} at ${label}`, sessionKey: key, timepoint: key, instrument }, null);
    }
  }
  const dosing = session.dosing;
  if (dosing) {
    const dose = dosing.initialDose;
    if (!dose) {
      out.step({ command: 'RecordVitals', label: 'Record pre-dose vital signs', sessionKey: key }, null);
      if (def.dosing.preDose.fasting || def.dosing.preDose.pregnancyTest) {
        out.step({ command: 'RecordPreDoseChecks', label: 'Record the pre-dose checks', sessionKey: key }, null);
      }
      out.step({ command: 'AdministerDose', label: `Give the dose (${label})`, sessionKey: key }, doseRejection(def, state, session));
    } else if (!dosing.discharge) {
      out.step({ command: 'RecordVitals', label: 'Record vital signs', sessionKey: key }, null);
      for (const p of def.dosing.vitals.postDose) {
        out.dueAt(`Vital signs ${p.label}`, 'RecordVitals', addMinutes(dose.at, p.targetMinutes), { sessionKey: key, remind: false });
      }
      const window = supplementalWindow(def, session);
      if (window && !dosing.supplemental) {
        const dueKey = out.dueAt('Supplemental dose decision', 'AdministerSupplementalDose', window.latest, { sessionKey: key, remind: false });
        out.step(
          { command: 'AdministerSupplementalDose', label: 'Give the supplemental dose', sessionKey: key, ...window, ...present({ dueKey }) },
          supplementalRejection(def, state, session, now),
        );
        out.step({ command: 'WithholdSupplementalDose', label: 'Withhold the supplemental dose (with reason)', sessionKey: key }, null);
      }
      out.step(
        { command: 'DischargePatient', label: 'Discharge the patient', sessionKey: key, ...present({ earliest: earliestDischarge(def, session) }) },
        dischargeRejection(def, state, session, now),
      );
    }
  }
  out.step({ command: 'CompleteSession', label: `Complete ${label}`, sessionKey: key }, completeRejection(def, session));
};

const nextVisitSteps = (def: ProtocolDefinition, state: CourseState, now: string, out: Collector): void => {
  const next = state.sessions.find((s) => s.status !== 'completed');
  if (!next) return;
  const label = sessionDefinition(def, next.key)!.label;
  const window = visitStartWindow(def, state, next.key);
  const times = present({ earliest: window?.earliest, latest: window?.latest });
  if (next.status === 'pending') {
    // Scheduled for the first time the rules allow from now: refused exactly when no such time is left.
    const first = window && isBefore(now, window.earliest) ? window.earliest : now;
    out.step({ command: 'ScheduleSession', label: `Schedule ${label}`, sessionKey: next.key, ...times }, scheduleRejection(def, state, next.key, first));
  }
  if (next.status === 'scheduled') out.step({ command: 'CancelSession', label: `Cancel ${label}`, sessionKey: next.key }, null);
  const dueKey = out.dueAt(`Latest start of ${label}`, 'StartSession', window?.latest, { sessionKey: next.key });
  out.step({ command: 'StartSession', label: `Start ${label}`, sessionKey: next.key, ...times, ...present({ dueKey }) }, startRejection(def, state, next.key, now));
  if (next.status === 'scheduled') out.dueAt(`Scheduled start of ${label}`, 'StartSession', next.scheduledFor, { sessionKey: next.key });
  const firstDosing = def.sessions.find((s) => s.kind === 'dosing');
  const dosingStarted = state.sessions.some((s) => s.dosing && (s.startedAt !== null || s.status === 'completed' || s.attempt > 1));
  if (firstDosing && !dosingStarted && state.eligibleSince && def.screening.eligibilityValidDays) {
    out.dueAt(`Eligibility lapses unless ${sessionDefinition(def, firstDosing.key)!.label} starts`, 'StartSession', addHours(state.eligibleSince, def.screening.eligibilityValidDays * 24), {
      sessionKey: firstDosing.key,
      remind: true,
      expiresEligibility: true,
    });
  }
};

/**
 * What can be done on a course at time `now`: the steps available, the ones blocked (with the rejection
 * code the decider would give), each with the roles that may take it, the signature meaning it needs and
 * its window, and the due dates, for the API, worklists and workflow timers. Pure.
 */
export const availableSteps = (state: CourseState, now: string): AvailableSteps => {
  const def = (state.protocol && findProtocol(state.protocol.id, state.protocol.version)) || undefined;
  const out = collector(def, now);
  if (state.status === 'not_started') {
    out.step({ command: 'StartCourse', label: 'Start the course of care' }, null);
    return out.result;
  }
  if (!def || isCourseClosed(state)) return out.result;

  if (state.screening.eligibility === null) {
    screeningSteps(def, state, out);
  } else {
    const current = state.sessions.find((s) => s.status === 'in_progress');
    if (current) visitSteps(def, state, current, now, out);
    else nextVisitSteps(def, state, now, out);
    for (const point of def.assessmentPoints) {
      if (pointRecorded(state, point) || state.sessions.find((s) => s.key === point.after)?.status !== 'completed') continue;
      const window = pointWindow(def, state, point);
      const dueKey = out.dueAt(point.label, 'RecordAssessment', window?.latest);
      out.step(
        {
          command: 'RecordAssessment',
          label: `Record the ${point.label}`,
          timepoint: point.key,
          instrument: point.instrument,
          ...present({ earliest: window?.earliest, latest: window?.latest, dueKey }),
        },
        pointRejection(def, state, point, now),
      );
    }
    for (const session of state.sessions) {
      const latest = monitoringFormDue(def, session);
      if (latest && !session.dosing?.monitoringForm) {
        const dueKey = out.dueAt('Patient monitoring form', 'SubmitMonitoringForm', latest, { sessionKey: session.key });
        out.step({ command: 'SubmitMonitoringForm', label: 'Submit the patient monitoring form', sessionKey: session.key, latest, ...present({ dueKey }) }, null);
      }
    }
    if (state.sessions.every((s) => s.status === 'completed')) {
      out.step({ command: 'CompleteCourse', label: 'Complete the course' }, completeCourseRejection(def, state, now));
    }
  }
  for (const ae of state.adverseEvents.filter((a) => a.classification === null)) {
    out.step({ command: 'ClassifyAdverseEvent', label: 'Classify the reported adverse event', ref: ae.ref }, null);
  }
  for (const hold of activeHolds(state)) {
    out.step({ command: 'ClearSafetyHold', label: 'Review and clear the safety hold (physician)', ref: hold.ref }, null);
  }
  return out.result;
};

/** A line of a staff worklist: a step or due date of a course, from when it can be done and by when. */
export type WorkItem = {
  /** Identity of the line within its course. */
  key: string;
  label: string;
  command: CourseCommandType;
  sessionKey: string | null;
  /** From when the step can be done (its window opens, the monitoring time has passed); null if at once. */
  earliestAt: string | null;
  /** Its deadline or, for a step that has none (the discharge), the time from which it is due. */
  dueAt: string;
  /** The step has no deadline: it is due from `dueAt` on and never overdue. */
  openEnded: boolean;
};

/**
 * The worklist lines of a course at `now`, by the same computation as `availableSteps`: every due date
 * (with the earliest time of the step it is the deadline of); every other step with a window, available
 * or blocked until its window opens (a supplemental dose in its first 90 minutes), unless the window has
 * closed; and a step of the visit in progress that waits for a time but has no deadline (the discharge
 * after the minimum monitoring time), due from that time. Pure.
 */
export const worklistItems = (state: CourseState, now: string): WorkItem[] => {
  const steps = availableSteps(state, now);
  const timed = [...steps.available, ...steps.blocked.filter((s) => s.reason !== 'WINDOW_CLOSED')].filter((s) => s.earliest || s.latest);
  const deadlineOf = new Map(timed.filter((s) => s.dueKey).map((s) => [s.dueKey!, s]));
  const inProgress = new Set(state.sessions.filter((s) => s.status === 'in_progress').map((s) => s.key));
  const items = new Map<string, WorkItem>();
  for (const d of steps.due) {
    const key = `due|${d.command}|${d.sessionKey ?? ''}|${d.label}`;
    const earliestAt = deadlineOf.get(d.key)?.earliest ?? null;
    items.set(key, { key, label: d.label, command: d.command, sessionKey: d.sessionKey ?? null, earliestAt, dueAt: d.dueAt, openEnded: false });
  }
  for (const s of timed) {
    if (s.dueKey !== undefined) continue; // listed with its due date above
    const dueAt = s.latest ?? (s.sessionKey !== undefined && inProgress.has(s.sessionKey) ? s.earliest : undefined);
    if (!dueAt) continue;
    const key = `step|${s.command}|${s.sessionKey ?? ''}|${s.timepoint ?? ''}|${s.ref ?? ''}`;
    items.set(key, { key, label: s.label, command: s.command, sessionKey: s.sessionKey ?? null, earliestAt: s.earliest ?? null, dueAt, openEnded: !s.latest });
  }
  return [...items.values()];
};
