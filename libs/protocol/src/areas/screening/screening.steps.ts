import type { CourseCommandType } from '../../command';
import type { ProtocolDefinition, ScreeningStep } from '../../definitions/protocol-definition';
import type { CourseState } from '../../state';
import { present, type Collector } from '../../step';
import { consentFirst, ineligibilityReasons, missingScreening } from './screening.rules';

/** Before a course exists: the one step is to start it. */
export const startCourseSteps = (out: Collector): void => {
  out.step({ command: 'StartCourse', label: 'Start the course of care' }, null);
};

const SCREENING_COMMANDS: Record<ScreeningStep, { command: CourseCommandType; label: string }> = {
  consent: { command: 'RecordInformedConsent', label: 'Record informed consent' },
  emergency_contact: { command: 'RecordEmergencyContact', label: 'Record the emergency contact' },
  criteria: { command: 'RecordEligibilityCriterion', label: 'Record the eligibility criteria with evidence' },
  baseline_assessment: { command: 'RecordAssessment', label: 'Record the baseline assessment' },
  medical_clearance: { command: 'RecordMedicalClearance', label: 'Record the medical clearance' },
  washout: { command: 'RecordMedicationWashout', label: 'Record the medication washout' },
  pregnancy_test: { command: 'RecordPregnancyTest', label: 'Record the pregnancy test' },
};

/** While eligibility is open: each screening item still missing, then the eligibility determination. */
export const screeningSteps = (def: ProtocolDefinition, state: CourseState, out: Collector): void => {
  const missing = missingScreening(def, state);
  for (const item of missing) {
    const { command, label } = SCREENING_COMMANDS[item];
    const needsConsent = item !== 'consent' && !state.screening.consentRecorded;
    const refusal = needsConsent ? consentFirst() : null;
    if (item === 'criteria') {
      // One step per criterion still to record: each is its own record, with its own evidence.
      const open = def.screening.criteria.filter((c) => state.screening.criteria[c.id] === undefined);
      for (const c of open) {
        out.step({ command, label: `Record the eligibility criterion "${c.text}" with evidence`, criterionId: c.id }, refusal);
      }
      // Where the protocol has it, the whole remaining checklist is also one step under one signature.
      if (def.permissions.RecordEligibilityCriteria !== undefined) {
        out.step(
          { command: 'RecordEligibilityCriteria', label: `Record the ${open.length} remaining eligibility criteria with evidence, signed once`, criterionIds: open.map((c) => c.id) },
          refusal,
        );
      }
    } else if (item === 'baseline_assessment') {
      out.step({ command, label, timepoint: 'baseline', ...present({ instrument: def.screening.baseline?.instrument }) }, refusal);
    } else {
      out.step({ command, label }, refusal);
    }
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
