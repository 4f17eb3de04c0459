import { mdmaAtPtsdV2 } from './mdma-at-ptsd.v2';
import { days, weeks, type ProtocolDefinition } from './protocol-definition';

/*
 * v3: v2 plus the outcome measures the trials used (libs/protocol/README.md cites each number:
 * [C] confirmed, [R] recalled, [I] our choice):
 * - BDI-II (depression), recordable at baseline and owed at the primary endpoint;
 * - the long-term follow-up CAPS-5, at least 6 months after the last dosing session (MPLONG);
 * - PCL-5, an optional patient-reported checklist an e-PRO system may send (role `integration`); never owed;
 * - the screening checklist as one signed step (RecordEligibilityCriteria).
 * Courses started on v1 or v2 stay on their version (a published definition never changes).
 */

const CAPS5 = 'CAPS-5';
const BDI2 = 'BDI-II';
const PCL5 = 'PCL-5';
const LAST_DOSING = 'dosing-3';
const LAST_VISIT = 'integration-3.3';

export const mdmaAtPtsdV3: ProtocolDefinition = {
  ...mdmaAtPtsdV2,
  version: 3,
  instruments: [
    ...mdmaAtPtsdV2.instruments,
    {
      id: BDI2,
      title: 'Beck Depression Inventory-II (BDI-II)',
      reportedBy: 'patient',
      fields: [{ name: 'total', label: 'Total score', type: 'integer', min: 0, max: 63, required: true }],
    },
    {
      id: PCL5,
      title: 'PTSD Checklist for DSM-5 (PCL-5)',
      optional: true,
      reportedBy: 'patient',
      loinc: '101697-1',
      fields: [{ name: 'total', label: 'Total score', type: 'integer', min: 0, max: 80, required: true, loinc: '101698-9' }],
    },
  ],
  assessmentPoints: [
    ...mdmaAtPtsdV2.assessmentPoints,
    {
      key: 'bdi2-endpoint',
      label: 'BDI-II at the primary endpoint (about 18 weeks)',
      instrument: BDI2,
      after: LAST_VISIT,
      window: { from: 'baseline', minHours: weeks(16), maxHours: weeks(20) },
    },
    {
      key: 'caps5-long-term-follow-up',
      label: 'CAPS-5 long-term follow-up (at least 6 months after the last dosing session)',
      instrument: CAPS5,
      after: LAST_VISIT,
      // 184 days: the longest 6 calendar months, so the point never opens before 6 months have passed;
      // it closes 12 months after the last dosing session and is then listed as missed [I].
      window: { from: LAST_DOSING, minHours: days(184), maxHours: days(365) },
    },
  ],
  // The 21 screening criteria may be recorded as one signed step, by whoever may record one of them [I].
  permissions: { ...mdmaAtPtsdV2.permissions, RecordEligibilityCriteria: mdmaAtPtsdV2.permissions.RecordEligibilityCriterion },
  signatures: { ...mdmaAtPtsdV2.signatures, RecordEligibilityCriteria: mdmaAtPtsdV2.signatures.RecordEligibilityCriterion },
  lateEntryAfterMinutes: 60,
};
