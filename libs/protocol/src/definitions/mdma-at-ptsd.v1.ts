import { days, weeks, type ProtocolDefinition, type SessionDefinition } from './protocol-definition';

/*
 * MDMA-assisted therapy for PTSD, following the MAPP1/MAPP2 phase 3 structure. Every number cites its
 * source in libs/protocol/README.md ([C] confirmed, [R] recalled: a configurable default, [I] our choice).
 */

const CSSRS = 'C-SSRS';
const CAPS5 = 'CAPS-5';
const DOSING_SESSIONS = 3;
const INTEGRATION_PER_DOSING = 3;

const preparatory: SessionDefinition[] = [1, 2, 3].map((n) => ({
  key: `prep-${n}`,
  label: `Preparatory session ${n}`,
  kind: 'preparatory',
  phase: 'preparation',
  durationMinutes: 90,
  ...(n > 1 ? { after: `prep-${n - 1}` } : {}),
  gates: ['eligible'],
  requiredAssessments: [CSSRS],
}));

const treatment: SessionDefinition[] = Array.from({ length: DOSING_SESSIONS }, (_, i) => i + 1).flatMap((k) => {
  const dosing: SessionDefinition = {
    key: `dosing-${k}`,
    label: `Dosing session ${k}`,
    kind: 'dosing',
    phase: 'treatment',
    durationMinutes: 480,
    after: k === 1 ? 'prep-3' : `integration-${k - 1}.${INTEGRATION_PER_DOSING}`,
    // About 4 weeks apart; the ±1 week tolerance is our configurable default.
    ...(k > 1 ? { interval: { from: `dosing-${k - 1}`, minHours: days(21), maxHours: days(35) } } : {}),
    gates: ['eligible', 'washout_complete', 'no_safety_hold'],
    requiredAssessments: [CSSRS],
  };
  const integration = Array.from({ length: INTEGRATION_PER_DOSING }, (_, j) => j + 1).map(
    (n): SessionDefinition => ({
      key: `integration-${k}.${n}`,
      label: `Integration session ${k}.${n}`,
      kind: 'integration',
      phase: 'treatment',
      durationMinutes: 90,
      after: n === 1 ? `dosing-${k}` : `integration-${k}.${n - 1}`,
      // The first the morning after dosing; then about a week apart.
      interval:
        n === 1
          ? { from: `dosing-${k}`, minHours: 12, maxHours: 36 }
          : { from: `integration-${k}.${n - 1}`, minHours: days(5), maxHours: days(10) },
      gates: [],
      requiredAssessments: [CSSRS],
    }),
  );
  return [dosing, ...integration];
});

export const mdmaAtPtsdV1: ProtocolDefinition = {
  id: 'mdma-at-ptsd',
  version: 1,
  title: 'MDMA-assisted therapy for PTSD (MAPP phase 3 structure)',
  permissions: {
    StartCourse: ['coordinator', 'physician', 'integration'],
    RecordInformedConsent: ['coordinator', 'physician'],
    RecordEmergencyContact: ['coordinator', 'therapist', 'physician'],
    RecordEligibilityCriterion: ['coordinator', 'physician'],
    RecordMedicalClearance: ['physician'],
    RecordMedicationWashout: ['physician'],
    RecordPregnancyTest: ['coordinator', 'physician'],
    DetermineEligibility: ['physician'],
    RecordAssessment: ['therapist', 'physician', 'coordinator', 'integration'],
    ScheduleSession: ['coordinator', 'therapist', 'physician'],
    StartSession: ['therapist', 'physician'],
    CompleteSession: ['therapist', 'physician'],
    MarkSessionMissed: ['coordinator', 'therapist', 'physician'],
    CancelSession: ['coordinator', 'therapist', 'physician'],
    RecordPreDoseChecks: ['therapist', 'physician'],
    AdministerDose: ['physician'],
    AdministerSupplementalDose: ['physician'],
    WithholdSupplementalDose: ['physician', 'therapist'],
    RecordVitals: ['therapist', 'physician', 'coordinator', 'integration'],
    RaiseAlert: ['therapist', 'physician', 'coordinator', 'integration', 'system'],
    RecordDueDateNotice: ['system'],
    DischargePatient: ['physician', 'therapist'],
    ReportAdverseEvent: ['therapist', 'physician', 'coordinator'],
    ClassifyAdverseEvent: ['physician'],
    PlaceSafetyHold: ['therapist', 'physician', 'coordinator'],
    ClearSafetyHold: ['physician'],
    WithdrawCourse: ['physician', 'coordinator'],
    CorrectEvent: ['therapist', 'physician', 'coordinator'],
    CompleteCourse: ['physician'],
  },
  signatures: {
    RecordEligibilityCriterion: 'authorship',
    RecordMedicalClearance: 'approval',
    DetermineEligibility: 'approval',
    AdministerDose: 'responsibility',
    ClassifyAdverseEvent: 'review',
    ClearSafetyHold: 'approval',
    WithdrawCourse: 'responsibility',
    CorrectEvent: 'authorship',
    CompleteCourse: 'responsibility',
  },
  instruments: [
    {
      id: CAPS5,
      title: 'CAPS-5',
      fields: [
        { name: 'total', label: 'Total severity score', type: 'integer', min: 0, max: 80, required: true },
        { name: 'ptsdDiagnosis', label: 'Meets DSM-5 PTSD diagnosis', type: 'boolean', required: true },
        { name: 'raterRef', label: 'Independent rater', type: 'text', required: true },
      ],
    },
    {
      id: CSSRS,
      title: 'C-SSRS',
      fields: [
        { name: 'suicidalIdeation', label: 'Suicidal ideation since last visit', type: 'boolean', required: true },
        { name: 'suicidalBehavior', label: 'Suicidal behaviour since last visit', type: 'boolean', required: true },
      ],
    },
    {
      id: 'SDS',
      title: 'Sheehan Disability Scale (modified)',
      fields: [{ name: 'total', label: 'Total score', type: 'integer', min: 0, required: true }],
    },
  ],
  screening: {
    criteria: [
      { id: 'age-18-or-over', kind: 'inclusion', text: 'Aged 18 or over' },
      { id: 'fluent-in-site-language', kind: 'inclusion', text: 'Fluent in the language of the site' },
      { id: 'able-to-swallow-pills', kind: 'inclusion', text: 'Able to swallow pills' },
      { id: 'consents-to-recording', kind: 'inclusion', text: 'Consents to recording of sessions and to independent-rater assessments' },
      { id: 'reports-new-conditions', kind: 'inclusion', text: 'Agrees to report new medical conditions within 48 hours' },
      { id: 'contraception', kind: 'inclusion', text: 'Agrees to contraception until 10 days after the last dosing session, where applicable' },
      { id: 'lifestyle', kind: 'inclusion', text: 'Agrees to fast before dosing, join no other interventional trial, stay overnight and be driven home' },
      { id: 'ptsd-diagnosis-6-months', kind: 'inclusion', text: 'CAPS-5 DSM-5 PTSD diagnosis with symptoms for at least 6 months' },
      { id: 'uncontrolled-hypertension', kind: 'exclusion', text: 'Uncontrolled hypertension' },
      { id: 'ventricular-arrhythmia', kind: 'exclusion', text: 'History of ventricular arrhythmia' },
      { id: 'qtc-prolongation', kind: 'exclusion', text: 'Marked QTc prolongation' },
      { id: 'cardio-cerebrovascular-disease', kind: 'exclusion', text: 'Cardiovascular or cerebrovascular disease' },
      { id: 'liver-disease', kind: 'exclusion', text: 'Liver disease' },
      { id: 'low-body-weight', kind: 'exclusion', text: 'Body weight below about 48 kg' },
      { id: 'primary-psychotic-disorder', kind: 'exclusion', text: 'Primary psychotic disorder' },
      { id: 'bipolar-i', kind: 'exclusion', text: 'Bipolar I disorder' },
      { id: 'dissociative-identity-disorder', kind: 'exclusion', text: 'Dissociative identity disorder' },
      { id: 'eating-disorder-purging', kind: 'exclusion', text: 'Eating disorder with active purging' },
      { id: 'serious-suicide-risk', kind: 'exclusion', text: 'Current serious suicide risk' },
      { id: 'substance-use-early-remission', kind: 'exclusion', text: 'Substance use disorder in early remission' },
      { id: 'pregnancy-or-lactation', kind: 'exclusion', text: 'Pregnancy or lactation' },
    ],
    required: ['consent', 'emergency_contact', 'criteria', 'baseline_assessment', 'medical_clearance', 'washout', 'pregnancy_test'],
    baseline: { instrument: CAPS5, field: 'total', minimum: 28 },
    // [I] site choice: screening findings go stale; re-determine if dosing-1 has not started in 8 weeks.
    eligibilityValidDays: 56,
  },
  sessions: [...preparatory, ...treatment],
  dosing: {
    drug: 'midomafetamine (MDMA)',
    unit: 'mg',
    initialDoseOptions: [80, 120],
    supplemental: { ratio: 0.5, windowMinutes: { min: 90, max: 150 }, blockedByVitalsAlert: true },
    preDose: { vitalsRequired: true, holdAbove: { systolicAbove: 140, diastolicAbove: 90 }, pregnancyTest: true, fasting: true },
    vitals: {
      alertAbove: { systolicAbove: 160, diastolicAbove: 110, heartRateAbove: 110, temperatureCAbove: 38 },
      postDose: [],
      beforeDischarge: true,
    },
    minimumMonitoringMinutes: 480,
    discharge: { escortRequired: true, overnightStay: true },
  },
  assessmentPoints: [
    { key: 'caps5-after-dosing-2', label: 'CAPS-5 after dosing session 2', instrument: CAPS5, after: 'dosing-2', before: 'dosing-3' },
    { key: 'caps5-after-dosing-3', label: 'CAPS-5 after dosing session 3', instrument: CAPS5, after: 'dosing-3' },
    {
      key: 'caps5-endpoint',
      label: 'CAPS-5 primary endpoint (about 18 weeks)',
      instrument: CAPS5,
      after: `integration-${DOSING_SESSIONS}.${INTEGRATION_PER_DOSING}`,
      window: { from: 'baseline', minHours: weeks(16), maxHours: weeks(20) },
    },
  ],
  aesiCategories: ['suicidality', 'cardiac', 'abuse_misuse_diversion'],
  // [I] site choice: remind the team a day ahead, escalate a step still open a day after it was due.
  notifications: { reminderLeadHours: 24, escalateAfterHours: 24 },
};
