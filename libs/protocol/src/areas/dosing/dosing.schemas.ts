import {
  bool,
  commandData,
  dateTime,
  decimal,
  doseMg,
  identifier,
  lateEntryReason,
  oneOf,
  outcomeValues,
  sessionKey,
  signature,
  text,
  timed,
  wholeNumber,
} from '../fields';
import type { OutcomeField } from '../../definitions/outcome-field';
import { PREGNANCY_TEST_RESULTS } from '../screening/screening.schemas';

/*
 * Dosing: the steps of a dosing visit, in order: pre-dose checks and vital signs, the initial dose, the
 * supplemental dose (given or withheld), vital signs during monitoring, discharge and, for protocols with
 * one, the monitoring form after discharge.
 */

export const VITALS_TIMINGS = ['pre_dose', 'post_dose', 'discharge', 'other'] as const;

const lotNumber = () =>
  text(64)
    .optional()
    .meta({ description: 'The lot (batch) number of the drug given, as printed on the pack (at most 64 characters).', examples: ['LOT-24-0113'] });

export const RecordPreDoseChecksData = commandData(
  {
    title: 'Record the pre-dose checks',
    description:
      'Records the checks made before the dose of a dosing visit in progress: fasting and the pre-dose pregnancy test. A failed check the protocol requires blocks the dose.',
    example: { sessionKey: 'dosing-1', fasting: true, pregnancyTest: 'negative' },
  },
  {
    sessionKey: sessionKey(),
    fasting: bool().meta({ description: 'Whether the patient has fasted as the protocol requires before dosing.' }),
    pregnancyTest: oneOf(PREGNANCY_TEST_RESULTS).meta({
      description: 'The pre-dose pregnancy test: `negative`, `positive` (the dose cannot be given), or `not_applicable`.',
    }),
    ...timed(),
    signature: signature(),
  },
);

export const AdministerDoseData = commandData(
  {
    title: 'Administer the initial dose',
    description:
      "Records the initial dose of a dosing visit. The visit must be in progress, the pre-dose checks and pre-dose vital signs on record and within the protocol's limits, no safety hold in place, and the amount one the protocol allows (e.g. 80 or 120 mg). Signed.",
    example: { sessionKey: 'dosing-1', amountMg: 120, lotNumber: 'LOT-24-0113', signature: { meaning: 'responsibility' } },
  },
  {
    sessionKey: sessionKey(),
    amountMg: doseMg().meta({
      description: 'The amount given, in mg (0.001 to 10000; the protocol says which amounts are allowed).',
      examples: [120],
    }),
    lotNumber: lotNumber(),
    ...timed(),
    signature: signature(),
  },
);

export const AdministerSupplementalDoseData = commandData(
  {
    title: 'Administer the supplemental dose',
    description:
      "Records the supplemental (half) dose, given within the protocol's window after the initial dose (e.g. 90 to 150 minutes) unless the latest vital signs are above the alert limits. The amount must be the initial dose times the protocol's ratio (e.g. 60 mg after 120 mg).",
    example: { sessionKey: 'dosing-1', amountMg: 60, lotNumber: 'LOT-24-0113' },
  },
  {
    sessionKey: sessionKey(),
    amountMg: doseMg().meta({
      description: "The amount given, in mg (0.001 to 10000): the initial dose times the protocol's ratio.",
      examples: [60],
    }),
    lotNumber: lotNumber(),
    ...timed(),
    signature: signature(),
  },
);

export const WithholdSupplementalDoseData = commandData(
  {
    title: 'Withhold the supplemental dose',
    description: 'Records that the supplemental dose is not given in this dosing visit, and why.',
    example: { sessionKey: 'dosing-1', reason: 'Heart rate 118 bpm at 90 minutes; physician decided not to supplement' },
  },
  {
    sessionKey: sessionKey(),
    reason: text(500).meta({ description: 'Why the supplemental dose is withheld (at most 500 characters).', examples: ['Patient declined'] }),
    ...timed(),
    signature: signature(),
  },
);

/**
 * Plausibility bounds of a vital-sign reading (rejects typing errors such as 1200 mmHg). These are input
 * sanity limits, not clinical thresholds; the thresholds that matter clinically are protocol data.
 */
export const VITAL_FIELDS: readonly OutcomeField[] = [
  { name: 'systolic', label: 'Systolic pressure', type: 'integer', unit: 'mmHg', min: 40, max: 300, required: true },
  { name: 'diastolic', label: 'Diastolic pressure', type: 'integer', unit: 'mmHg', min: 20, max: 200, required: true },
  { name: 'heartRate', label: 'Heart rate', type: 'integer', unit: 'bpm', min: 20, max: 250, required: true },
  { name: 'temperatureC', label: 'Temperature', type: 'number', unit: '°C', min: 30, max: 45, required: false },
];

/** A vital sign, with the plausibility bounds and unit of `VITAL_FIELDS`. */
const vital = (name: 'systolic' | 'diastolic' | 'heartRate' | 'temperatureC') => {
  const field = VITAL_FIELDS.find((v) => v.name === name)!;
  return (field.type === 'integer' ? wholeNumber : decimal)(field.min!, field.max!, field.unit);
};

export const RecordVitalsData = commandData(
  {
    title: 'Record vital signs',
    description:
      "Records one reading of blood pressure, heart rate and (optionally) temperature during a visit in progress. A reading is always kept; one above the protocol's alert limits also raises an alert.",
    example: { sessionKey: 'dosing-1', timing: 'pre_dose', systolic: 128, diastolic: 82, heartRate: 74, temperatureC: 36.8, measuredAt: '2026-02-03T08:20:00Z' },
  },
  {
    sessionKey: sessionKey(),
    timing: oneOf(VITALS_TIMINGS).meta({
      description:
        'When in the visit the reading is taken: `pre_dose` (before the initial dose), `post_dose` (during monitoring after it), `discharge` (just before discharge) or `other`.',
    }),
    systolic: vital('systolic').meta({ description: 'Systolic blood pressure, in mmHg (whole number, 40 to 300).', examples: [128] }),
    diastolic: vital('diastolic').meta({ description: 'Diastolic blood pressure, in mmHg (whole number, 20 to 200).', examples: [82] }),
    heartRate: vital('heartRate').meta({ description: 'Heart rate, in beats per minute (whole number, 20 to 250).', examples: [74] }),
    temperatureC: vital('temperatureC')
      .optional()
      .meta({ description: 'Body temperature, in °C (30 to 45).', examples: [36.8] }),
    measuredAt: dateTime()
      .optional()
      .meta({ description: 'When the reading was taken (UTC), if not at the moment it is entered: the clinical time of the step.' }),
    lateEntryReason: lateEntryReason(),
    signature: signature(),
  },
);

export const DischargePatientData = commandData(
  {
    title: 'Discharge the patient',
    description:
      "Records the discharge at the end of a dosing visit: after the protocol's minimum monitoring time (e.g. 8 hours), the supplemental dose decision and the discharge vital signs, with the discharge criteria met, the adult escort and the overnight stay the protocol requires.",
    example: { sessionKey: 'dosing-1', criteriaMet: true, escortRef: 'ESC-0042', overnightStay: true },
  },
  {
    sessionKey: sessionKey(),
    criteriaMet: bool().meta({
      description: 'Whether the discharge criteria are met (acute effects resolved, patient stable); false is refused: keep monitoring.',
    }),
    escortRef: identifier()
      .optional()
      .meta({
        description: "A reference to the adult who takes the patient home, kept in the clinic's own records: required when the protocol requires an escort.",
        examples: ['ESC-0042'],
      }),
    overnightStay: bool()
      .optional()
      .meta({ description: 'Whether the patient stays overnight after the visit: must be true when the protocol requires it.' }),
    ...timed(),
    signature: signature(),
  },
);

export const SubmitMonitoringFormData = commandData(
  {
    title: 'Submit the monitoring form',
    description:
      "Submits the protocol's monitoring form of a dosing visit (e.g. the REMS patient monitoring form), after discharge. The form's fields and their types are protocol data (see GET /protocols). A late form is still recorded and flagged late.",
    example: { sessionKey: 'dosing-1', values: { benzodiazepines: false, hypnotics: false, psychostimulants: false, maois: false } },
  },
  {
    sessionKey: sessionKey(),
    values: outcomeValues().meta({
      description: "The form's fields by name (letters, digits and `_`, at most 100): numbers, booleans or texts of at most 1000 characters.",
    }),
    signature: signature(),
  },
);
