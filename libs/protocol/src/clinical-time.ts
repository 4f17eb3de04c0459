import type { CourseCommand, CourseCommandType } from './command';
import { DEFAULT_LATE_ENTRY_AFTER_MINUTES, type ProtocolDefinition } from './definitions/protocol-definition';
import { TIMED_EVENT_TYPES, type LateEntry } from './event';
import { reject, type Rejection } from './rejection';
import { latestReading, sessionDefinition, sessionState } from './rules/course.rules';
import { addMinutes, isBefore, minutesBetween } from './rules/time';
import type { CourseState } from './state';

/*
 * Clinical time: when a step happened, as opposed to when it was entered (the command's `metadata.now`,
 * kept as the event's `metadata.occurredAt`, the audit trail's time). Clinics enter data after the fact
 * (the session is written up afterwards, vitals come from a paper sheet), so every order, interval,
 * window, minimum monitoring time and due date is measured from clinical times, and an entry made long
 * after its clinical time is a late entry that must say why (ALCOA+ "contemporaneous").
 */

/** The field that carries a command's clinical time, and whether a late entry of it must give a reason. */
export type ClinicalTimeField = { field: 'performedAt' | 'consentedAt' | 'measuredAt' | 'onsetAt'; lateEntry: boolean };

const performed: ClinicalTimeField = { field: 'performedAt', lateEntry: true };

/**
 * Every command's clinical-time field. `null`: the step is an administrative act whose entry time is its
 * time (a classification, a hold, a correction, a form submission), or it names a time of its own that is
 * not when something happened (`scheduledFor`, a washout's `endsAt`). An adverse event's `onsetAt` is when
 * the event began; it is reported when the team learns of it, so it is never a late entry [I].
 */
export const CLINICAL_TIME_FIELDS: Readonly<Record<CourseCommandType, ClinicalTimeField | null>> = {
  StartCourse: performed,
  RecordInformedConsent: { field: 'consentedAt', lateEntry: true },
  RecordEmergencyContact: null,
  RecordEligibilityCriterion: performed,
  RecordEligibilityCriteria: performed,
  RecordMedicalClearance: performed,
  RecordMedicationWashout: null,
  RecordPregnancyTest: performed,
  DetermineEligibility: performed,
  RecordAssessment: performed,
  ScheduleSession: null,
  StartSession: performed,
  CompleteSession: performed,
  MarkSessionMissed: performed,
  CancelSession: performed,
  RecordPreDoseChecks: performed,
  AdministerDose: performed,
  AdministerSupplementalDose: performed,
  WithholdSupplementalDose: performed,
  RecordVitals: { field: 'measuredAt', lateEntry: true },
  RaiseAlert: performed,
  DischargePatient: performed,
  SubmitMonitoringForm: null,
  ReportAdverseEvent: { field: 'onsetAt', lateEntry: false },
  ClassifyAdverseEvent: null,
  PlaceSafetyHold: null,
  ClearSafetyHold: null,
  WithdrawCourse: performed,
  CorrectEvent: null,
  CompleteCourse: null,
  RecordDueDateNotice: null,
};

/** How far ahead of the server's clock a clinical time may be: device clocks drift [I]. */
export const CLOCK_SKEW_TOLERANCE_MINUTES = 2;
/**
 * How far a clinical time may appear to precede the step it follows: forms take times to the minute, so a
 * dose timed "08:10" follows pre-dose checks entered at 08:10:40 [I].
 */
export const ORDER_TOLERANCE_MINUTES = 1;


const field = (command: Pick<CourseCommand, 'type' | 'data'>): string | undefined => {
  const spec = CLINICAL_TIME_FIELDS[command.type];
  const value = spec ? (command.data as Record<string, unknown>)[spec.field] : undefined;
  return typeof value === 'string' ? value : undefined;
};

/** When the step happened: its clinical-time field, or the entry time when none is given. */
export const clinicalTimeOf = (command: CourseCommand): string => field(command) ?? command.metadata.now;

export const lateEntryAfterMinutes = (def: ProtocolDefinition): number => def.lateEntryAfterMinutes ?? DEFAULT_LATE_ENTRY_AFTER_MINUTES;

/** Whether a command carries a field that only exists since clinical times (see `clinicalTimeRejection`'s `strict`). */
export const namesClinicalTime = (command: CourseCommand): boolean => {
  const data = command.data as Record<string, unknown>;
  return data['performedAt'] !== undefined || data['lateEntryReason'] !== undefined;
};

/** A time the step cannot precede: the step it depends on, with words for the refusal. */
type Bound = { at: string | null | undefined; what: string };

/**
 * The clinical times a command's own time may not precede (and, for vital signs, exceed): course start,
 * informed consent, and the step each one depends on. Windows and intervals are the rules' business; these
 * are the plain facts of order (a dose after its pre-dose checks, discharge after the last reading, ...).
 */
const bounds = (command: CourseCommand, state: CourseState, def: ProtocolDefinition, needsConsent: boolean): { notBefore: Bound[]; notAfter: Bound[] } => {
  const notBefore: Bound[] = [];
  const notAfter: Bound[] = [];
  if (command.type !== 'StartCourse') notBefore.push({ at: state.startedAt, what: 'the start of the course' });
  if (needsConsent) notBefore.push({ at: state.screening.consentedAt, what: 'informed consent' });
  const key = 'sessionKey' in command.data ? command.data.sessionKey : undefined;
  const session = key === undefined ? undefined : sessionState(state, key);
  const dosing = session?.dosing;
  const latestOfVisit = session ? latestReading(state, session)?.measuredAt : undefined;
  switch (command.type) {
    case 'DetermineEligibility':
      notBefore.push({ at: state.screening.lastRecordedAt, what: 'the last screening record' });
      break;
    case 'RecordAssessment': {
      const visit = sessionState(state, command.data.timepoint);
      if (visit?.status === 'in_progress') notBefore.push({ at: visit.startedAt, what: 'the start of the visit' });
      break;
    }
    case 'StartSession': {
      const ends = state.sessions.map((s) => s.completedAt).filter((t): t is string => t !== null);
      notBefore.push({ at: ends.reduce<string | null>((a, b) => (a && isBefore(b, a) ? a : b), null), what: 'the end of the previous visit' });
      if (key && sessionDefinition(def, key)?.gates.includes('eligible')) notBefore.push({ at: state.eligibleSince, what: 'the eligibility determination' });
      break;
    }
    case 'MarkSessionMissed':
      notBefore.push({ at: session?.scheduledFor, what: 'the scheduled time of the visit' });
      break;
    case 'CompleteSession':
      notBefore.push({ at: session?.startedAt, what: 'the start of the visit' });
      notBefore.push({ at: dosing?.discharge?.at, what: 'the discharge' });
      notBefore.push({ at: latestOfVisit, what: 'the last vital signs of the visit' });
      break;
    case 'CancelSession':
    case 'RecordPreDoseChecks':
      notBefore.push({ at: session?.status === 'in_progress' ? session.startedAt : null, what: 'the start of the visit' });
      break;
    case 'AdministerDose':
      notBefore.push({ at: session?.startedAt, what: 'the start of the visit' });
      notBefore.push({ at: dosing?.preDoseChecks?.at, what: 'the pre-dose checks' });
      notBefore.push({ at: session ? latestReading(state, session, 'pre_dose')?.measuredAt : null, what: 'the pre-dose vital signs' });
      break;
    case 'AdministerSupplementalDose':
    case 'WithholdSupplementalDose':
      notBefore.push({ at: dosing?.initialDose?.at, what: 'the initial dose' });
      break;
    case 'RecordVitals':
      notBefore.push({ at: session?.status === 'in_progress' ? session.startedAt : null, what: 'the start of the visit' });
      if (command.data.timing === 'post_dose' || command.data.timing === 'discharge') {
        notBefore.push({ at: dosing?.initialDose?.at, what: 'the dose' });
      }
      notAfter.push({ at: dosing?.discharge?.at, what: 'the discharge' });
      break;
    case 'DischargePatient':
      notBefore.push({ at: dosing?.initialDose?.at, what: 'the dose' });
      notBefore.push({ at: dosing?.supplemental?.at, what: 'the supplemental dose decision' });
      notBefore.push({ at: latestOfVisit, what: 'the last vital signs of the visit' });
      break;
    default:
      break;
  }
  return { notBefore, notAfter };
};

const clinicalTimeInvalid = (message: string, details: Record<string, unknown>): Rejection => reject('CLINICAL_TIME_INVALID', message, details);

/**
 * The clinical-time rules, checked before any step-specific rule: not in the future (within the clock skew),
 * not before the step it depends on, a reason exactly when the entry is late, and no visit scheduled in the
 * past. `strict: false` is for course runs that began before these rules (patch `clinical-times-v1`): their
 * recorded commands were decided without them, so only the future check they always had applies, unless
 * the command itself names a clinical time.
 */
export const clinicalTimeRejection = (
  command: CourseCommand,
  state: CourseState,
  def: ProtocolDefinition,
  options: { strict: boolean; needsConsent: boolean },
): Rejection | null => {
  const now = command.metadata.now;
  const strict = options.strict || namesClinicalTime(command);
  if (command.type === 'ScheduleSession') {
    const { scheduledFor } = command.data;
    if (strict && isBefore(scheduledFor, addMinutes(now, -CLOCK_SKEW_TOLERANCE_MINUTES))) {
      return clinicalTimeInvalid(
        'A visit cannot be scheduled in the past. If the visit took place, record it as started and completed with the times it happened (performedAt).',
        { field: 'data.scheduledFor', enteredAt: now },
      );
    }
    return null;
  }
  const spec = CLINICAL_TIME_FIELDS[command.type];
  if (!spec) return null;
  const name = `data.${spec.field}`;
  const at = clinicalTimeOf(command);
  if (isBefore(addMinutes(now, strict ? CLOCK_SKEW_TOLERANCE_MINUTES : 0), at)) {
    return clinicalTimeInvalid(`The time given for this step (${name}) is in the future.`, { field: name, enteredAt: now });
  }
  if (!strict) return null;
  const { notBefore, notAfter } = bounds(command, state, def, options.needsConsent);
  for (const bound of notBefore) {
    if (typeof bound.at === 'string' && isBefore(at, addMinutes(bound.at, -ORDER_TOLERANCE_MINUTES))) {
      return clinicalTimeInvalid(`The time given for this step (${name}) is before ${bound.what}, which it follows.`, { field: name, notBefore: bound.at });
    }
  }
  for (const bound of notAfter) {
    if (typeof bound.at === 'string' && isBefore(addMinutes(bound.at, ORDER_TOLERANCE_MINUTES), at)) {
      return clinicalTimeInvalid(`The time given for this step (${name}) is after ${bound.what}.`, { field: name, notAfter: bound.at });
    }
  }
  if (!spec.lateEntry) return null;
  const threshold = lateEntryAfterMinutes(def);
  const minutesAfter = Math.round(minutesBetween(at, now));
  const reason = (command.data as { lateEntryReason?: string }).lateEntryReason;
  if (minutesBetween(at, now) > threshold && reason === undefined) {
    return reject(
      'LATE_ENTRY_REASON_REQUIRED',
      `This step is entered ${minutesAfter} minutes after it happened; entries later than ${threshold} minutes need a reason (lateEntryReason).`,
      { field: 'data.lateEntryReason', minutesAfter, lateEntryAfterMinutes: threshold },
    );
  }
  if (minutesBetween(at, now) <= threshold && reason !== undefined) {
    return reject('OUTCOME_INVALID', `A late-entry reason is given only for an entry more than ${threshold} minutes after the step happened.`, {
      field: 'data.lateEntryReason',
      minutesAfter,
      lateEntryAfterMinutes: threshold,
    });
  }
  return null;
};

/** Event types whose data names their clinical time in a field of their own. */
const OWN_TIME_FIELDS: Readonly<Record<string, string>> = {
  InformedConsentRecorded: 'consentedAt',
  VitalsRecorded: 'measuredAt',
  AdverseEventReported: 'onsetAt',
};

/**
 * The clinical time of a stored event, for audit entries, exports and webhooks: `performedAt`, its own time
 * field, or, for a timed type stored before clinical times, its entry time. `null` for an administrative
 * event, whose entry time is its time. Reads raw (not upcast) data.
 */
export const clinicalTimeOfEvent = (type: string, data: Record<string, unknown>, occurredAt: string | null): string | null => {
  const own = OWN_TIME_FIELDS[type];
  const value = own ? data[own] : data['performedAt'];
  if (typeof value === 'string') return value;
  return (TIMED_EVENT_TYPES as readonly string[]).includes(type) ? occurredAt : null;
};

/** A stored event's late entry, if it was one: its reason and how many minutes after its clinical time it was entered. */
export const lateEntryOfEvent = (type: string, data: Record<string, unknown>, occurredAt: string | null): LateEntry | null => {
  const reason = data['lateEntryReason'];
  const happened = clinicalTimeOfEvent(type, data, occurredAt);
  if (typeof reason !== 'string') return null;
  return { reason, minutesAfter: happened && occurredAt ? Math.round(minutesBetween(happened, occurredAt)) : 0 };
};
