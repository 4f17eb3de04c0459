import type { DischargePatient } from '../../command';
import type { ProtocolDefinition } from '../../definitions/protocol-definition';
import { vitalBreaches } from './vital-limits';
import { reject, type Rejection } from '../../rejection';
import type { CourseState, SessionState, VitalsReading } from '../../state';
import { addHours, addMinutes, isBefore, minutesBetween } from '../../time';
import { windowRejection } from '../../window';
import { holdRejection } from '../safety/safety.rules';

/**
 * The rules of a dosing visit, shared by `decide` (to refuse a command) and `availableSteps` (to say what
 * is blocked and why), so the two can never disagree: the vital signs and their limits, the pre-dose checks
 * and the dose, the supplemental dose, the discharge and the monitoring form. Each returns the rejection
 * that applies, or null. Every number comes from the protocol's `dosing` definition.
 */

// ---------------------------------------------------------------- vital signs

/** Readings of the current attempt at a visit. */
export const attemptReadings = (state: CourseState, session: SessionState): VitalsReading[] =>
  state.vitals.filter((v) => v.sessionKey === session.key && v.attempt === session.attempt);

/** Latest reading of a kind in a visit (latest measurement time wins). */
export const latestReading = (state: CourseState, session: SessionState, timing?: string): VitalsReading | undefined =>
  attemptReadings(state, session)
    .filter((v) => timing === undefined || v.timing === timing)
    .reduce<VitalsReading | undefined>((latest, v) => (!latest || !isBefore(v.measuredAt, latest.measuredAt) ? v : latest), undefined);

/** A reading's values, as the thresholds name them. */
export { vitalBreaches, type VitalValues } from './vital-limits';


// ---------------------------------------------------------------- pre-dose checks and dose

/** The pre-dose checks the protocol asks for: STEP_OUT_OF_ORDER if missing, a specific code if failed. */
export const doseRejection = (def: ProtocolDefinition, state: CourseState, session: SessionState): Rejection | null => {
  const pre = def.dosing.preDose;
  if (session.status !== 'in_progress') {
    return reject('STEP_OUT_OF_ORDER', 'The dosing visit must be started before the dose is given.', { missing: 'StartSession' });
  }
  if (session.dosing?.initialDose) return reject('STEP_ALREADY_RECORDED', 'The dose for this visit is already recorded.');
  const hold = holdRejection(state);
  if (hold) return hold;
  if (pre.vitalsRequired) {
    const reading = latestReading(state, session, 'pre_dose');
    if (!reading) {
      return reject('STEP_OUT_OF_ORDER', 'Pre-dose vital signs must be recorded before the dose.', { missing: 'RecordVitals' });
    }
    const breaches = vitalBreaches(reading, pre.holdAbove);
    if (breaches.length > 0) {
      return reject('PREDOSE_VITALS_HIGH', `The latest pre-dose reading is too high to dose (${breaches.join('; ')}).`, { breaches });
    }
  }
  if (pre.fasting || pre.pregnancyTest) {
    const checks = session.dosing?.preDoseChecks;
    if (!checks) {
      return reject('STEP_OUT_OF_ORDER', 'The pre-dose checks must be recorded before the dose.', { missing: 'RecordPreDoseChecks' });
    }
    if (pre.fasting && !checks.fasting) {
      return reject('PREDOSE_CHECK_FAILED', 'The patient has not fasted as the protocol requires before dosing.');
    }
    if (pre.pregnancyTest && checks.pregnancyTest === 'positive') {
      return reject('PREDOSE_CHECK_FAILED', 'The pre-dose pregnancy test is positive; the dose cannot be given.');
    }
  }
  return null;
};

// ---------------------------------------------------------------- supplemental dose

/** Window of the supplemental dose, once the initial dose is given. */
export const supplementalWindow = (def: ProtocolDefinition, session: SessionState): { earliest: string; latest: string } | null => {
  const supplement = def.dosing.supplemental;
  const dose = session.dosing?.initialDose;
  if (!supplement || !dose) return null;
  return {
    earliest: addMinutes(dose.at, supplement.windowMinutes.min),
    latest: addMinutes(dose.at, supplement.windowMinutes.max),
  };
};

/** Can the supplemental dose be given at `at`? (The amount is checked by the command itself.) */
export const supplementalRejection = (def: ProtocolDefinition, state: CourseState, session: SessionState, at: string): Rejection | null => {
  const supplement = def.dosing.supplemental;
  if (!supplement) return reject('STEP_UNKNOWN', 'This protocol has no supplemental dose.');
  if (!session.dosing?.initialDose || session.status !== 'in_progress') {
    return reject('STEP_OUT_OF_ORDER', 'The initial dose must be given first.', { missing: 'AdministerDose' });
  }
  if (session.dosing.supplemental) return reject('STEP_ALREADY_RECORDED', 'The supplemental dose is already given or withheld.');
  if (session.dosing.discharge) return reject('STEP_OUT_OF_ORDER', 'The patient has already been discharged from this visit.');
  const hold = holdRejection(state);
  if (hold) return hold;
  const windowed = windowRejection(supplementalWindow(def, session), at, 'the supplemental dose');
  if (windowed) return windowed;
  if (supplement.blockedByVitalsAlert) {
    const reading = latestReading(state, session);
    const breaches = reading ? vitalBreaches(reading, def.dosing.vitals.alertAbove) : [];
    if (breaches.length > 0) {
      return reject('VITALS_ABOVE_THRESHOLD', `The latest vital signs are above the alert limits (${breaches.join('; ')}).`, { breaches });
    }
  }
  return null;
};

// ---------------------------------------------------------------- discharge

/** Earliest discharge: the minimum monitoring time after the initial dose. */
export const earliestDischarge = (def: ProtocolDefinition, session: SessionState): string | null =>
  session.dosing?.initialDose ? addMinutes(session.dosing.initialDose.at, def.dosing.minimumMonitoringMinutes) : null;

/** What a discharge records about the patient leaving: the criteria, the escort and the overnight stay. */
export type DischargeRecord = Pick<DischargePatient['data'], 'criteriaMet' | 'escortRef' | 'overnightStay'>;

/**
 * The discharge rule, whole: monitoring time, vitals schedule and supplemental decision before discharge
 * and, for a discharge as recorded (`discharge`), the discharge criteria met and the escort and overnight
 * stay the protocol requires (`dosing.discharge`). Without `discharge` (the available steps, which cannot
 * know what will be recorded), the rule as far as the course's record decides it.
 */
export const dischargeRejection = (
  def: ProtocolDefinition,
  state: CourseState,
  session: SessionState,
  at: string,
  discharge?: DischargeRecord,
): Rejection | null => {
  const dose = session.dosing?.initialDose;
  if (session.status !== 'in_progress' || !dose) {
    return reject('STEP_OUT_OF_ORDER', 'A patient is discharged only after the dose of a visit in progress.', { missing: 'AdministerDose' });
  }
  if (session.dosing?.discharge) return reject('STEP_ALREADY_RECORDED', 'The discharge is already recorded.');
  const monitored = minutesBetween(dose.at, at);
  if (monitored < def.dosing.minimumMonitoringMinutes) {
    return reject('MONITORING_INCOMPLETE', 'The minimum monitoring time after the dose has not passed.', {
      minimumMinutes: def.dosing.minimumMonitoringMinutes,
      earliest: earliestDischarge(def, session),
    });
  }
  if (def.dosing.supplemental && !session.dosing?.supplemental) {
    return reject('STEP_OUT_OF_ORDER', 'Record whether the supplemental dose was given or withheld before discharge.', {
      missing: 'AdministerSupplementalDose or WithholdSupplementalDose',
    });
  }
  for (const required of def.dosing.vitals.postDose) {
    const taken = attemptReadings(state, session).some(
      (v) => v.timing === 'post_dose' && minutesBetween(dose.at, v.measuredAt) >= required.earliestMinutes,
    );
    if (!taken) {
      return reject('STEP_OUT_OF_ORDER', `The post-dose vital signs (${required.label}) must be recorded before discharge.`, {
        missing: 'RecordVitals',
      });
    }
  }
  if (def.dosing.vitals.beforeDischarge && !latestReading(state, session, 'discharge')) {
    return reject('STEP_OUT_OF_ORDER', 'Vital signs must be recorded just before discharge.', { missing: 'RecordVitals' });
  }
  if (!discharge) return null;
  const rules = def.dosing.discharge;
  if (!discharge.criteriaMet) {
    return reject('DISCHARGE_CRITERIA_NOT_MET', 'The discharge criteria are not met; keep monitoring the patient.');
  }
  if (rules.escortRequired && !discharge.escortRef) {
    return reject('DISCHARGE_CRITERIA_NOT_MET', 'Record the adult escort who takes the patient home.', { missing: 'escortRef' });
  }
  if (rules.overnightStay && discharge.overnightStay !== true) {
    return reject('DISCHARGE_CRITERIA_NOT_MET', 'The protocol requires an overnight stay after the dosing visit.', { missing: 'overnightStay' });
  }
  return null;
};

// ---------------------------------------------------------------- monitoring form

/** Monitoring form deadline of a dosing visit, if the protocol has one. */
export const monitoringFormDue = (def: ProtocolDefinition, session: SessionState): string | null => {
  const form = def.dosing.monitoringForm;
  const end = session.dosing?.discharge?.at ?? session.completedAt;
  return form && session.dosing?.initialDose && end ? addHours(end, form.dueWithinDays * 24) : null;
};
