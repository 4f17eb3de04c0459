import { CompleteCourseData, CorrectEventData, RecordDueDateNoticeData, WithdrawCourseData } from './closing/closing.schemas';
import {
  AdministerDoseData,
  AdministerSupplementalDoseData,
  DischargePatientData,
  RecordPreDoseChecksData,
  RecordVitalsData,
  SubmitMonitoringFormData,
  WithholdSupplementalDoseData,
} from './dosing/dosing.schemas';
import { RecordAssessmentData } from './outcomes/outcomes.schemas';
import { ClassifyAdverseEventData, ClearSafetyHoldData, PlaceSafetyHoldData, RaiseAlertData, ReportAdverseEventData } from './safety/safety.schemas';
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
} from './screening/screening.schemas';
import { ScheduleSessionData, StartSessionData, CompleteSessionData, MarkSessionMissedData, CancelSessionData } from './sessions/sessions.schemas';

/**
 * The schema of every command's `data`, the single source of its shape: the TypeScript types
 * (command.ts), the parser (parse-command.ts), the OpenAPI document and the webhook catalogue all come
 * from these. A command type without a schema, or a schema without a command type, does not compile
 * (see `OneSchemaPerCommand` in command.ts).
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
