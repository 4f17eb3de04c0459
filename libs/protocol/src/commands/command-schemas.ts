import type { CourseCommandType } from '../command';
import { CompleteCourseData, CorrectEventData, RecordDueDateNoticeData, WithdrawCourseData } from '../areas/closing/closing.schemas';
import {
  AdministerDoseData,
  AdministerSupplementalDoseData,
  DischargePatientData,
  RecordPreDoseChecksData,
  RecordVitalsData,
  SubmitMonitoringFormData,
  WithholdSupplementalDoseData,
} from '../areas/dosing/dosing.schemas';
import { RecordAssessmentData } from '../areas/outcomes/outcomes.schemas';
import { ClassifyAdverseEventData, ClearSafetyHoldData, PlaceSafetyHoldData, RaiseAlertData, ReportAdverseEventData } from '../areas/safety/safety.schemas';
import {
  DetermineEligibilityData,
  RecordEligibilityCriteriaData,
  RecordEligibilityCriterionData,
  RecordEmergencyContactData,
  RecordInformedConsentData,
  RecordMedicalClearanceData,
  RecordMedicationWashoutData,
  RecordPregnancyTestData,
  StartCourseData,
} from '../areas/screening/screening.schemas';
import { ScheduleSessionData, StartSessionData, CompleteSessionData, MarkSessionMissedData, CancelSessionData } from '../areas/sessions/sessions.schemas';

/**
 * The schema of every command's `data`, the single source of its shape: the TypeScript types
 * (command.ts), the parser (parse-command.ts), the OpenAPI document and the webhook catalogue all come
 * from these. A command type without a schema, or a schema without a command type, does not compile.
 */
export const COMMAND_DATA_SCHEMAS = {
  StartCourse: StartCourseData,
  RecordInformedConsent: RecordInformedConsentData,
  RecordEmergencyContact: RecordEmergencyContactData,
  RecordEligibilityCriterion: RecordEligibilityCriterionData,
  RecordEligibilityCriteria: RecordEligibilityCriteriaData,
  RecordMedicalClearance: RecordMedicalClearanceData,
  RecordMedicationWashout: RecordMedicationWashoutData,
  RecordPregnancyTest: RecordPregnancyTestData,
  DetermineEligibility: DetermineEligibilityData,
  RecordAssessment: RecordAssessmentData,
  ScheduleSession: ScheduleSessionData,
  StartSession: StartSessionData,
  CompleteSession: CompleteSessionData,
  MarkSessionMissed: MarkSessionMissedData,
  CancelSession: CancelSessionData,
  RecordPreDoseChecks: RecordPreDoseChecksData,
  AdministerDose: AdministerDoseData,
  AdministerSupplementalDose: AdministerSupplementalDoseData,
  WithholdSupplementalDose: WithholdSupplementalDoseData,
  RecordVitals: RecordVitalsData,
  RaiseAlert: RaiseAlertData,
  DischargePatient: DischargePatientData,
  SubmitMonitoringForm: SubmitMonitoringFormData,
  ReportAdverseEvent: ReportAdverseEventData,
  ClassifyAdverseEvent: ClassifyAdverseEventData,
  PlaceSafetyHold: PlaceSafetyHoldData,
  ClearSafetyHold: ClearSafetyHoldData,
  WithdrawCourse: WithdrawCourseData,
  CorrectEvent: CorrectEventData,
  CompleteCourse: CompleteCourseData,
  RecordDueDateNotice: RecordDueDateNoticeData,
} as const;

export type CommandDataSchemas = typeof COMMAND_DATA_SCHEMAS;

type Exactly<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
/**
 * Compile-time proof that there is exactly one schema per command type. The command types are derived
 * from these schemas (command.ts), so a type without a schema does not compile there, and a schema
 * without a command type does not compile here. (`satisfies Record<CourseCommandType, ...>` on the object
 * itself would be circular for that reason.)
 */
export type OneSchemaPerCommand = Assert<Exactly<keyof CommandDataSchemas, CourseCommandType>>;
