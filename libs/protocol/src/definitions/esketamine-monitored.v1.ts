import type { ProtocolDefinition, SessionDefinition } from './protocol-definition';

/*
 * A monitored esketamine course following the Spravato REMS operational facts (domain.md §1.9). It exists
 * to prove the engine is driven by data: no preparatory or integration visits, no supplemental dose,
 * no baseline threshold, a post-dose blood-pressure reading and a monitoring form with a deadline.
 * The number of sessions is course-length configuration, not a clinical fact (see README).
 */

const SESSIONS = 4;

const sessions: SessionDefinition[] = Array.from({ length: SESSIONS }, (_, i) => i + 1).map((n) => ({
  key: `treatment-${n}`,
  label: `Treatment session ${n}`,
  kind: 'dosing',
  phase: 'treatment',
  ...(n > 1 ? { after: `treatment-${n - 1}` } : {}),
  gates: ['eligible', 'no_safety_hold'],
  requiredAssessments: [],
}));

export const esketamineMonitoredV1: ProtocolDefinition = {
  id: 'esketamine-monitored',
  version: 1,
  title: 'Monitored esketamine course (Spravato REMS setting)',
  permissions: {
    StartCourse: ['coordinator', 'physician', 'integration'],
    RecordInformedConsent: ['coordinator', 'physician'],
    RecordEmergencyContact: ['coordinator', 'physician'],
    RecordEligibilityCriterion: ['coordinator', 'physician'],
    DetermineEligibility: ['physician'],
    ScheduleSession: ['coordinator', 'physician'],
    StartSession: ['physician', 'therapist'],
    CompleteSession: ['physician', 'therapist'],
    MarkSessionMissed: ['coordinator', 'physician'],
    CancelSession: ['coordinator', 'physician'],
    RecordPreDoseChecks: ['physician', 'therapist'],
    AdministerDose: ['physician'],
    RecordVitals: ['physician', 'therapist', 'coordinator', 'integration'],
    RaiseAlert: ['physician', 'therapist', 'coordinator', 'integration', 'system'],
    RecordDueDateNotice: ['system'],
    DischargePatient: ['physician'],
    SubmitMonitoringForm: ['physician', 'coordinator'],
    ReportAdverseEvent: ['physician', 'therapist', 'coordinator'],
    ClassifyAdverseEvent: ['physician'],
    PlaceSafetyHold: ['physician', 'therapist', 'coordinator'],
    ClearSafetyHold: ['physician'],
    WithdrawCourse: ['physician', 'coordinator'],
    CorrectEvent: ['physician', 'therapist', 'coordinator'],
    CompleteCourse: ['physician'],
  },
  signatures: {
    DetermineEligibility: 'approval',
    SubmitMonitoringForm: 'authorship',
    ClassifyAdverseEvent: 'review',
    ClearSafetyHold: 'approval',
    CorrectEvent: 'authorship',
    CompleteCourse: 'responsibility',
  },
  instruments: [],
  screening: {
    criteria: [
      { id: 'rems-enrolled', kind: 'inclusion', text: 'Enrolled in the REMS before treatment (outpatient setting)' },
      { id: 'transport-arranged', kind: 'inclusion', text: 'Transport home arranged in advance; no driving until the next day' },
      { id: 'aneurysmal-vascular-disease', kind: 'exclusion', text: 'Aneurysmal vascular disease' },
      { id: 'arteriovenous-malformation', kind: 'exclusion', text: 'Arteriovenous malformation' },
      { id: 'intracerebral-haemorrhage', kind: 'exclusion', text: 'History of intracerebral haemorrhage' },
    ],
    required: ['consent', 'criteria'],
  },
  sessions,
  dosing: {
    drug: 'esketamine',
    unit: 'mg',
    preDose: { vitalsRequired: true, holdAbove: { systolicAbove: 140, diastolicAbove: 90 }, pregnancyTest: false, fasting: true },
    vitals: {
      postDose: [{ label: 'about 40 minutes after the dose', targetMinutes: 40, earliestMinutes: 30 }],
      beforeDischarge: true,
    },
    minimumMonitoringMinutes: 120,
    discharge: { escortRequired: true, overnightStay: false },
    monitoringForm: {
      dueWithinDays: 7,
      fields: [
        { name: 'benzodiazepines', label: 'Concomitant benzodiazepines', type: 'boolean', required: true },
        { name: 'hypnotics', label: 'Concomitant non-benzodiazepine hypnotics', type: 'boolean', required: true },
        { name: 'psychostimulants', label: 'Concomitant psychostimulants', type: 'boolean', required: true },
        { name: 'maois', label: 'Concomitant MAOIs', type: 'boolean', required: true },
        { name: 'doseMg', label: 'Dose', type: 'number', unit: 'mg', min: 0, required: true },
        { name: 'lotNumber', label: 'Lot number', type: 'text', required: true },
        { name: 'minutesMonitored', label: 'Total minutes monitored', type: 'integer', unit: 'min', min: 0, required: true },
        { name: 'couldHaveLeftAt', label: 'When could the patient have left?', type: 'datetime', required: true },
        { name: 'vitalsInRange', label: 'Vital signs in range', type: 'boolean', required: true },
        { name: 'sedation', label: 'Sedation observed', type: 'boolean', required: true },
        { name: 'dissociation', label: 'Dissociation observed', type: 'boolean', required: true },
        { name: 'respiratoryDepression', label: 'Respiratory depression observed', type: 'boolean', required: true },
        { name: 'seriousAdverseEvents', label: 'Serious adverse events', type: 'boolean', required: true },
      ],
    },
  },
  assessmentPoints: [],
  aesiCategories: [],
  // [I] site choice: remind a day ahead (e.g. the 7-day monitoring form), escalate after a further day.
  notifications: { reminderLeadHours: 24, escalateAfterHours: 24 },
};
