import type { CourseCommand } from './command';
import { latestReading } from './areas/dosing/dosing.rules';
import { sessionDefinition, sessionState } from './areas/visits';
import { CLINICAL_TIME_FIELDS, clinicalTimeOf, lateEntryAfterMinutes, namesClinicalTime } from './clinical-time';
import type { ProtocolDefinition } from './definitions/protocol-definition';
import { reject, type Rejection } from './rejection';
import type { CourseState } from './state';
import { addMinutes, isBefore, minutesBetween } from './time';

/*
 * The clinical-time rules (see clinical-time.ts for what a step's clinical time is), checked by `decide`
 * for every command before the step's own rules.
 */

/** How far ahead of the server's clock a clinical time may be: device clocks drift [I]. */
export const CLOCK_SKEW_TOLERANCE_MINUTES = 2;
/**
 * How far a clinical time may appear to precede the step it follows: forms take times to the minute, so a
 * dose timed "08:10" follows pre-dose checks entered at 08:10:40 [I].
 */
export const ORDER_TOLERANCE_MINUTES = 1;

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
