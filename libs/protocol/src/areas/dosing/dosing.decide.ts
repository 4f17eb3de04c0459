import type {
  AdministerDose,
  AdministerSupplementalDose,
  DischargePatient,
  RecordPreDoseChecks,
  RecordVitals,
  SubmitMonitoringForm,
  WithholdSupplementalDose,
} from '../../command';
import { clinicalTimeOf } from '../../clinical-time';
import { accept, emit, invalid, isRejection, refuse, type Decision } from '../../decision';
import type { ProtocolDefinition } from '../../definitions/protocol-definition';
import { reject } from '../../rejection';
import type { CourseState } from '../../state';
import { isBefore, minutesBetween } from '../../time';
import { unsigned } from '../../unsigned';
import { outcomeProblems } from '../outcomes/outcomes.rules';
import { visit } from '../visits';
import { dischargeRejection, doseRejection, monitoringFormDue, supplementalRejection, vitalBreaches } from './dosing.rules';

/*
 * The steps of a dosing visit, in order: pre-dose checks and vital signs, the initial dose, the supplemental
 * dose (given or withheld), vital signs during monitoring, discharge and, for protocols with one, the
 * monitoring form after discharge. The rules they share with the available steps are in dosing.rules.ts.
 */

export const recordPreDoseChecks = (command: RecordPreDoseChecks, state: CourseState, def: ProtocolDefinition): Decision => {
  const session = visit(def, state, command.data.sessionKey, true);
  if (isRejection(session)) return refuse(session);
  if (session.status !== 'in_progress' || session.dosing?.initialDose) {
    return refuse(reject('STEP_OUT_OF_ORDER', 'Pre-dose checks are recorded after the visit starts and before the dose.'));
  }
  const { fasting, pregnancyTest } = command.data;
  return accept(emit(command, 'PreDoseChecksRecorded', { sessionKey: session.key, fasting, pregnancyTest }));
};

export const administerDose = (command: AdministerDose, state: CourseState, def: ProtocolDefinition): Decision => {
  const session = visit(def, state, command.data.sessionKey, true);
  if (isRejection(session)) return refuse(session);
  const refused = doseRejection(def, state, session);
  if (refused) return refuse(refused);
  const { amountMg, lotNumber } = command.data;
  const { initialDoseOptions: options, initialDoseRange: range } = def.dosing;
  if ((options && !options.includes(amountMg)) || (range && (amountMg < range.min || amountMg > range.max))) {
    return invalid('This dose is not one the protocol allows.', { allowedMg: options ?? range });
  }
  return accept(emit(command, 'DoseAdministered', { sessionKey: session.key, drug: def.dosing.drug, amountMg, lotNumber: lotNumber ?? null }));
};

export const administerSupplementalDose = (command: AdministerSupplementalDose, state: CourseState, def: ProtocolDefinition): Decision => {
  const session = visit(def, state, command.data.sessionKey, true);
  if (isRejection(session)) return refuse(session);
  const at = clinicalTimeOf(command);
  const refused = supplementalRejection(def, state, session, at);
  if (refused) return refuse(refused);
  const initial = session.dosing!.initialDose!;
  const expected = initial.amountMg * def.dosing.supplemental!.ratio;
  if (command.data.amountMg !== expected) {
    return invalid(`The supplemental dose must be ${expected} mg for this visit.`, { expectedMg: expected });
  }
  return accept(
    emit(command, 'SupplementalDoseAdministered', {
      sessionKey: session.key,
      drug: def.dosing.drug,
      amountMg: command.data.amountMg,
      lotNumber: command.data.lotNumber ?? null,
      minutesAfterInitialDose: Math.round(minutesBetween(initial.at, at)),
    }),
  );
};

export const withholdSupplementalDose = (command: WithholdSupplementalDose, state: CourseState, def: ProtocolDefinition): Decision => {
  const session = visit(def, state, command.data.sessionKey, true);
  if (isRejection(session)) return refuse(session);
  if (!def.dosing.supplemental) return refuse(reject('STEP_UNKNOWN', 'This protocol has no supplemental dose.'));
  if (!session.dosing?.initialDose || session.status !== 'in_progress') {
    return refuse(reject('STEP_OUT_OF_ORDER', 'The initial dose must be given first.', { missing: 'AdministerDose' }));
  }
  if (session.dosing.supplemental) return refuse(reject('STEP_ALREADY_RECORDED', 'The supplemental dose is already given or withheld.'));
  return accept(emit(command, 'SupplementalDoseWithheld', { sessionKey: session.key, reason: command.data.reason }));
};

export const recordVitals = (command: RecordVitals, state: CourseState, def: ProtocolDefinition): Decision => {
  const session = visit(def, state, command.data.sessionKey);
  if (isRejection(session)) return refuse(session);
  if (session.status !== 'in_progress') {
    return refuse(reject('STEP_OUT_OF_ORDER', 'Vital signs are recorded during a visit in progress.', { missing: 'StartSession' }));
  }
  const { timing, systolic, diastolic, heartRate } = command.data;
  const dose = session.dosing?.initialDose;
  const measuredAt = clinicalTimeOf(command);
  // A pre-dose reading entered after the dose (from the paper sheet) is one measured before it.
  if (timing === 'pre_dose' && dose && !isBefore(measuredAt, dose.at)) {
    return refuse(reject('STEP_OUT_OF_ORDER', 'The dose is already given; this is not a pre-dose reading.'));
  }
  const dosed = Boolean(dose);
  if ((timing === 'post_dose' || timing === 'discharge') && !dosed) {
    return refuse(reject('STEP_OUT_OF_ORDER', 'No dose has been given yet in this visit.', { missing: 'AdministerDose' }));
  }
  const reading = {
    sessionKey: session.key,
    timing,
    systolic,
    diastolic,
    heartRate,
    temperatureC: command.data.temperatureC ?? null,
    measuredAt,
  };
  // A reading is a fact and is always kept; a breach adds an alert rather than refusing the record.
  const limits = timing === 'pre_dose' ? def.dosing.preDose.holdAbove : def.dosing.vitals.alertAbove;
  const breaches = vitalBreaches(reading, limits);
  const recorded = emit(command, 'VitalsRecorded', reading);
  if (breaches.length === 0) return accept(recorded);
  const alert = emit({ ...command, data: unsigned(command.data) }, 'AlertRaised', {
    sessionKey: session.key,
    source: 'vitals_threshold',
    reason: `Vital signs out of range: ${breaches.join('; ')}. Repeat the measurement and have a physician evaluate.`,
    vitalsRef: state.version + 1,
  });
  return accept(recorded, alert);
};

export const dischargePatient = (command: DischargePatient, state: CourseState, def: ProtocolDefinition): Decision => {
  const session = visit(def, state, command.data.sessionKey, true);
  if (isRejection(session)) return refuse(session);
  const at = clinicalTimeOf(command);
  const refused = dischargeRejection(def, state, session, at, command.data);
  if (refused) return refuse(refused);
  const { escortRef, overnightStay } = command.data;
  return accept(
    emit(command, 'PatientDischarged', {
      sessionKey: session.key,
      criteriaMet: true,
      escortRef: escortRef ?? null,
      overnightStay: overnightStay ?? null,
      minutesMonitored: Math.round(minutesBetween(session.dosing!.initialDose!.at, at)),
    }),
  );
};

export const submitMonitoringForm = (command: SubmitMonitoringForm, state: CourseState, def: ProtocolDefinition): Decision => {
  const session = visit(def, state, command.data.sessionKey, true);
  if (isRejection(session)) return refuse(session);
  const form = def.dosing.monitoringForm;
  if (!form) return refuse(reject('STEP_UNKNOWN', 'This protocol has no monitoring form.'));
  const dueBy = monitoringFormDue(def, session);
  if (!dueBy || !session.dosing?.discharge) {
    return refuse(reject('STEP_OUT_OF_ORDER', 'The monitoring form is completed after the patient is discharged.', { missing: 'DischargePatient' }));
  }
  if (session.dosing.monitoringForm) return refuse(reject('STEP_ALREADY_RECORDED', 'The monitoring form for this visit is already submitted.'));
  const problems = outcomeProblems(form.fields, command.data.values);
  if (problems.length > 0) return invalid('The monitoring form values are not valid.', { problems });
  // A late form is still recorded (the obligation stands); it is flagged, never refused.
  const late = isBefore(dueBy, command.metadata.now);
  return accept(emit(command, 'MonitoringFormSubmitted', { sessionKey: session.key, values: command.data.values, dueBy, late }));
};
