import type { CourseCommandType } from './command';
import type { ProtocolDefinition, ScreeningStep } from './definitions/protocol-definition';
import { findProtocol } from './definitions/registry';
import type { Rejection, RejectionCode } from './rejection';
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
  sessionDefinition,
  sessionWindow,
  startRejection,
  supplementalRejection,
  supplementalWindow,
} from './rules/course.rules';
import { addHours, addMinutes, isBefore } from './rules/time';
import { activeHolds, isCourseClosed, type CourseState, type SessionState } from './state';

/** A step a user could take next: the command, what it applies to, and its time window if it has one. */
export type Step = {
  command: CourseCommandType;
  label: string;
  sessionKey?: string;
  timepoint?: string;
  /** Stream version the step refers to (an adverse event to classify, a hold to clear). */
  ref?: number;
  earliest?: string;
  dueBy?: string;
};
export type BlockedStep = Step & { reason: RejectionCode; message: string };
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
  step: (step: Step, rejection: Rejection | null) => void;
  dueAt: (label: string, command: CourseCommandType, dueAt: string | null | undefined, options?: DueOptions) => void;
};

/** Collects steps, sorting each into available or blocked by the rule the decider would apply. */
const collector = (now: string): Collector => {
  const result: AvailableSteps = { available: [], blocked: [], due: [] };
  return {
    result,
    step: (step, rejection) => {
      if (rejection) result.blocked.push({ ...step, reason: rejection.code, message: rejection.message });
      else result.available.push(step);
    },
    dueAt: (label, command, dueAt, options = {}) => {
      if (!dueAt) return;
      const { sessionKey, remind = true, expiresEligibility } = options;
      result.due.push({
        key: dueKeyOf(command, sessionKey, label, dueAt),
        label,
        command,
        ...(sessionKey ? { sessionKey } : {}),
        dueAt,
        overdue: isBefore(dueAt, now),
        remind,
        ...(expiresEligibility ? { expiresEligibility } : {}),
      });
    },
  };
};

const screeningSteps = (def: ProtocolDefinition, state: CourseState, out: Collector): void => {
  const missing = missingScreening(def, state);
  for (const item of missing) {
    const { command, label } = SCREENING_COMMANDS[item];
    const needsConsent = item !== 'consent' && !state.screening.consentRecorded;
    out.step(
      { command, label, ...(item === 'baseline_assessment' ? { timepoint: 'baseline' } : {}) },
      needsConsent ? { code: 'STEP_OUT_OF_ORDER', message: 'Informed consent must be recorded first.' } : null,
    );
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
      out.step({ command: 'RecordAssessment', label: `Record the ${instrument} at ${label}`, sessionKey: key, timepoint: key }, null);
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
        out.step(
          { command: 'AdministerSupplementalDose', label: 'Give the supplemental dose', sessionKey: key, ...window, dueBy: window.latest },
          supplementalRejection(def, state, session, now),
        );
        out.step({ command: 'WithholdSupplementalDose', label: 'Withhold the supplemental dose (with reason)', sessionKey: key }, null);
        out.dueAt('Supplemental dose decision', 'AdministerSupplementalDose', window.latest, { sessionKey: key, remind: false });
      }
      const earliest = earliestDischarge(def, session)!;
      out.step(
        { command: 'DischargePatient', label: 'Discharge the patient', sessionKey: key, earliest },
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
  const window = sessionWindow(def, state, next.key);
  const times = window ? { earliest: window.earliest, ...(window.latest ? { dueBy: window.latest } : {}) } : {};
  if (next.status === 'pending') out.step({ command: 'ScheduleSession', label: `Schedule ${label}`, sessionKey: next.key, ...times }, null);
  if (next.status === 'scheduled') out.step({ command: 'CancelSession', label: `Cancel ${label}`, sessionKey: next.key }, null);
  out.step({ command: 'StartSession', label: `Start ${label}`, sessionKey: next.key, ...times }, startRejection(def, state, next.key, now));
  out.dueAt(`Latest start of ${label}`, 'StartSession', window?.latest, { sessionKey: next.key });
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
 * code the decider would give) and the due dates, for worklists and workflow timers. Pure.
 */
export const availableSteps = (state: CourseState, now: string): AvailableSteps => {
  const out = collector(now);
  if (state.status === 'not_started') {
    out.step({ command: 'StartCourse', label: 'Start the course of care' }, null);
    return out.result;
  }
  const def = state.protocol && findProtocol(state.protocol.id, state.protocol.version);
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
      out.step(
        { command: 'RecordAssessment', label: `Record the ${point.label}`, timepoint: point.key, ...(window ? { earliest: window.earliest, dueBy: window.latest } : {}) },
        pointRejection(def, state, point, now),
      );
      out.dueAt(point.label, 'RecordAssessment', window?.latest);
    }
    for (const session of state.sessions) {
      const dueBy = monitoringFormDue(def, session);
      if (dueBy && !session.dosing?.monitoringForm) {
        out.step({ command: 'SubmitMonitoringForm', label: 'Submit the patient monitoring form', sessionKey: session.key, dueBy }, null);
        out.dueAt('Patient monitoring form', 'SubmitMonitoringForm', dueBy, { sessionKey: session.key });
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
