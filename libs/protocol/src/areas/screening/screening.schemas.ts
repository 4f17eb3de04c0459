import { z } from 'zod';
import { bool, commandData, dateTime, identifier, lateEntryReason, oneOf, signature, text, timed } from '../fields';

/*
 * Screening: from the start of a course to the eligibility determination. Nothing may be collected about a
 * patient before informed consent; every screening record can be added only until eligibility is determined.
 */

export const PREGNANCY_TEST_RESULTS = ['negative', 'positive', 'not_applicable'] as const;
/** `pass`: an inclusion criterion is met, or an exclusion criterion is absent. */
export const CRITERION_OUTCOMES = ['pass', 'fail'] as const;

const pregnancyTestResult = () =>
  oneOf(PREGNANCY_TEST_RESULTS).meta({
    description: 'The result: `negative`, `positive`, or `not_applicable` (no pregnancy is possible, e.g. after menopause).',
  });

export const StartCourseData = commandData(
  {
    title: 'Start a course of care',
    description:
      'Opens the course of care of one patient under one treatment protocol at one site, and starts its workflow. Over HTTP it is sent to POST /courses, which chooses the course id.',
    example: { courseId: 'course-2026-0042', patientRef: 'P-2026-0042', siteId: 'site-a', protocolId: 'mdma-at-ptsd' },
  },
  {
    courseId: identifier().meta({ description: 'The id of the new course (chosen by the API).', examples: ['course-2026-0042'] }),
    patientRef: identifier().meta({
      description: 'Pseudonymous patient reference: never a name or a medical record number.',
      examples: ['P-2026-0042'],
    }),
    siteId: identifier().meta({ description: 'The clinic site the course belongs to; it must be your own site.', examples: ['site-a'] }),
    protocolId: identifier().meta({ description: 'The treatment protocol, by its id (see GET /protocols).', examples: ['mdma-at-ptsd'] }),
    ...timed(),
  },
);

export const RecordInformedConsentData = commandData(
  {
    title: 'Record informed consent',
    description:
      "Records that the patient gave informed consent, on which version of the consent form and when. Nothing else about the patient can be recorded before it (safety and closing steps excepted).",
    example: { consentFormVersion: 'v3', consentedAt: '2026-01-05T08:30:00Z', consentsToRecording: true },
  },
  {
    consentFormVersion: text(64).meta({ description: 'The version of the consent form signed, as printed on it (at most 64 characters).', examples: ['v3'] }),
    consentedAt: dateTime().meta({ description: 'When the patient consented (UTC). This is the clinical time of the step; it may not be in the future.' }),
    consentsToRecording: bool()
      .optional()
      .meta({ description: 'Whether the patient also consents to the recording of sessions and to independent-rater assessments.' }),
    lateEntryReason: lateEntryReason(),
    signature: signature(),
  },
);

export const RecordEmergencyContactData = commandData(
  {
    title: 'Record the emergency contact',
    description: 'Records that the patient named an emergency contact (used if the patient becomes suicidal or cannot be reached).',
    example: { contactRef: 'EC-0042' },
  },
  {
    contactRef: identifier().meta({
      description: "A reference to the emergency contact's details, kept in the clinic's own records (never the name or phone number).",
      examples: ['EC-0042'],
    }),
    signature: signature(),
  },
);

export const RecordEligibilityCriterionData = commandData(
  {
    title: 'Record an eligibility criterion',
    description: "Records the assessment of one inclusion or exclusion criterion of the protocol's screening checklist, with its evidence.",
    example: {
      criterionId: 'age-18-or-over',
      outcome: 'pass',
      evidence: 'Date of birth checked on photo ID',
      signature: { meaning: 'authorship' },
    },
  },
  {
    criterionId: identifier().meta({ description: "The criterion, by its id in the protocol's screening checklist.", examples: ['age-18-or-over'] }),
    outcome: oneOf(CRITERION_OUTCOMES).meta({
      description: '`pass`: an inclusion criterion is met, or an exclusion criterion is absent; `fail` otherwise.',
    }),
    evidence: text(1000).meta({ description: 'What the assessment is based on (at most 1000 characters).', examples: ['Date of birth checked on photo ID'] }),
    ...timed(),
    signature: signature(),
  },
);

/** The most criteria one batch may carry: more than any protocol's checklist (MDMA-AT has 21). */
export const MAX_CRITERIA_PER_BATCH = 100;

export const RecordEligibilityCriteriaData = commandData(
  {
    title: 'Record several eligibility criteria at once',
    description:
      "Records the assessment of several criteria of the protocol's screening checklist in one step, under one e-signature (the whole checklist, e.g. the 21 MDMA-AT criteria, is one signed step). Each criterion is still recorded as its own event, all with the same signature manifestation.",
    example: {
      criteria: [
        { criterionId: 'age-18-or-over', outcome: 'pass', evidence: 'Date of birth checked on photo ID' },
        { criterionId: 'liver-disease', outcome: 'pass', evidence: 'Liver function tests normal' },
      ],
      signature: { meaning: 'authorship' },
    },
  },
  {
    criteria: z
      .array(
        z.strictObject({
          criterionId: identifier().meta({ description: "The criterion, by its id in the protocol's screening checklist." }),
          outcome: oneOf(CRITERION_OUTCOMES).meta({ description: '`pass`: an inclusion criterion is met, or an exclusion criterion is absent; `fail` otherwise.' }),
          evidence: text(1000).meta({ description: 'What the assessment is based on (at most 1000 characters).' }),
        }),
        { error: (issue) => (issue.input === undefined ? 'is required' : 'must be a list of criteria') },
      )
      .min(1, { error: 'must name at least one criterion' })
      .max(MAX_CRITERIA_PER_BATCH, { error: `must name at most ${MAX_CRITERIA_PER_BATCH} criteria` })
      .meta({ description: 'The criteria assessed, each once, with outcome and evidence.' }),
    ...timed(),
    signature: signature(),
  },
);

export const RecordMedicalClearanceData = commandData(
  {
    title: 'Record medical clearance',
    description: 'Records whether a physician clears the patient medically for the treatment (labs, ECG, cardiology review), with the evidence.',
    example: { cleared: true, evidence: 'ECG normal, QTc 410 ms; liver function within limits', signature: { meaning: 'approval' } },
  },
  {
    cleared: bool().meta({ description: 'Whether the patient is medically cleared.' }),
    evidence: text(1000).meta({ description: 'What the clearance is based on (at most 1000 characters).', examples: ['ECG normal, QTc 410 ms'] }),
    ...timed(),
    signature: signature(),
  },
);

export const RecordMedicationWashoutData = commandData(
  {
    title: 'Record the medication washout',
    description:
      'Records whether the patient must taper off medications (e.g. SSRIs) before dosing and, if so, when the washout ends. A required washout gates the first dosing visit until `endsAt`.',
    example: { required: true, endsAt: '2026-02-02T00:00:00Z' },
  },
  {
    required: bool().meta({ description: 'Whether a washout is required.' }),
    endsAt: dateTime()
      .optional()
      .meta({ description: 'When the washout ends (UTC): required when `required` is true, and refused otherwise.' }),
    signature: signature(),
  },
);

export const RecordPregnancyTestData = commandData(
  {
    title: 'Record the screening pregnancy test',
    description: 'Records the result of the pregnancy test at screening. A positive result makes the patient ineligible.',
    example: { result: 'negative' },
  },
  {
    result: pregnancyTestResult(),
    ...timed(),
    signature: signature(),
  },
);

export const DetermineEligibilityData = commandData(
  {
    title: 'Determine eligibility',
    description:
      'Records the investigator\'s determination that the patient is, or is not, eligible. "Eligible" is refused until every required screening item is on record and supports it; "not eligible" needs a reason.',
    example: { eligible: true, signature: { meaning: 'approval' } },
  },
  {
    eligible: bool().meta({ description: 'Whether the patient is eligible for the treatment.' }),
    reason: text(1000)
      .optional()
      .meta({ description: 'Why the patient is not eligible: required when `eligible` is false (at most 1000 characters).' }),
    ...timed(),
    signature: signature(),
  },
);
