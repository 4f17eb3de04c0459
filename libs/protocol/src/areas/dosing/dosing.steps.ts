import type { ProtocolDefinition } from '../../definitions/protocol-definition';
import type { CourseState, SessionState } from '../../state';
import { present, type Collector } from '../../step';
import { addMinutes } from '../../time';
import { sessionDefinition } from '../visits';
import { dischargeRejection, doseRejection, earliestDischarge, monitoringFormDue, supplementalRejection, supplementalWindow } from './dosing.rules';

/**
 * The dosing steps of the visit in progress: before the dose, the pre-dose vital signs and checks and the
 * dose; after it, until discharge, vital signs (with the post-dose readings due), the supplemental dose
 * decision and the discharge.
 */
export const dosingVisitSteps = (def: ProtocolDefinition, state: CourseState, session: SessionState, now: string, out: Collector): void => {
  const key = session.key;
  const dosing = session.dosing;
  if (!dosing) return;
  const dose = dosing.initialDose;
  if (!dose) {
    out.step({ command: 'RecordVitals', label: 'Record pre-dose vital signs', sessionKey: key }, null);
    if (def.dosing.preDose.fasting || def.dosing.preDose.pregnancyTest) {
      out.step({ command: 'RecordPreDoseChecks', label: 'Record the pre-dose checks', sessionKey: key }, null);
    }
    out.step({ command: 'AdministerDose', label: `Give the dose (${sessionDefinition(def, key)!.label})`, sessionKey: key }, doseRejection(def, state, session));
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
};

/** After each dosing visit's discharge, the monitoring form until it is submitted (a late one is still taken). */
export const monitoringFormSteps = (def: ProtocolDefinition, state: CourseState, out: Collector): void => {
  for (const session of state.sessions) {
    const latest = monitoringFormDue(def, session);
    if (latest && !session.dosing?.monitoringForm) {
      const dueKey = out.dueAt('Patient monitoring form', 'SubmitMonitoringForm', latest, { sessionKey: session.key });
      out.step({ command: 'SubmitMonitoringForm', label: 'Submit the patient monitoring form', sessionKey: session.key, latest, ...present({ dueKey }) }, null);
    }
  }
};
