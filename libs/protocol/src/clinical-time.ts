import type { CourseCommand, CourseCommandType } from './command';
import { DEFAULT_LATE_ENTRY_AFTER_MINUTES, type ProtocolDefinition } from './definitions/protocol-definition';
import { TIMED_EVENT_TYPES, type LateEntry } from './event';
import { minutesBetween } from './time';

/*
 * Clinical time: when a step happened, as opposed to when it was entered (the command's `metadata.now`,
 * kept as the event's `metadata.occurredAt`, the audit trail's time). Clinics enter data after the fact
 * (the session is written up afterwards, vitals come from a paper sheet), so every order, interval,
 * window, minimum monitoring time and due date is measured from clinical times, and an entry made long
 * after its clinical time is a late entry that must say why (ALCOA+ "contemporaneous"). The rules a
 * command's clinical time is held to are in clinical-time.rules.ts.
 */

/** The field that carries a command's clinical time, and whether a late entry of it must give a reason. */
export type ClinicalTimeField = { field: 'performedAt' | 'consentedAt' | 'measuredAt' | 'onsetAt'; lateEntry: boolean };

const performed: ClinicalTimeField = { field: 'performedAt', lateEntry: true };

/**
 * Every command's clinical-time field. `null`: the step is an administrative act whose entry time is its
 * time (a classification, a hold, a correction, a form submission), or it names a time of its own that is
 * not when something happened (`scheduledFor`, a washout's `endsAt`). An adverse event's `onsetAt` is when
 * the event began; it is reported when the team learns of it, so it is never a late entry [I].
 */
export const CLINICAL_TIME_FIELDS: Readonly<Record<CourseCommandType, ClinicalTimeField | null>> = {
  StartCourse: performed,
  RecordInformedConsent: { field: 'consentedAt', lateEntry: true },
  RecordEmergencyContact: null,
  RecordEligibilityCriterion: performed,
  RecordEligibilityCriteria: performed,
  RecordMedicalClearance: performed,
  RecordMedicationWashout: null,
  RecordPregnancyTest: performed,
  DetermineEligibility: performed,
  RecordAssessment: performed,
  ScheduleSession: null,
  StartSession: performed,
  CompleteSession: performed,
  MarkSessionMissed: performed,
  CancelSession: performed,
  RecordPreDoseChecks: performed,
  AdministerDose: performed,
  AdministerSupplementalDose: performed,
  WithholdSupplementalDose: performed,
  RecordVitals: { field: 'measuredAt', lateEntry: true },
  RaiseAlert: performed,
  DischargePatient: performed,
  SubmitMonitoringForm: null,
  ReportAdverseEvent: { field: 'onsetAt', lateEntry: false },
  ClassifyAdverseEvent: null,
  PlaceSafetyHold: null,
  ClearSafetyHold: null,
  WithdrawCourse: performed,
  CorrectEvent: null,
  CompleteCourse: null,
  RecordDueDateNotice: null,
};

const field = (command: Pick<CourseCommand, 'type' | 'data'>): string | undefined => {
  const spec = CLINICAL_TIME_FIELDS[command.type];
  const value = spec ? (command.data as Record<string, unknown>)[spec.field] : undefined;
  return typeof value === 'string' ? value : undefined;
};

/**
 * The data of a command with its clinical time named: `now` where the step leaves out a clinical time that
 * defaults to the entry time. For a signed step, whose record hash must cover the data the event will keep.
 */
export const withClinicalTime = <D extends Record<string, unknown>>(type: CourseCommandType, data: D, now: string): D => {
  const spec = CLINICAL_TIME_FIELDS[type];
  const defaults = spec && (spec.field === 'performedAt' || spec.field === 'measuredAt');
  return defaults && data[spec.field] === undefined ? { ...data, [spec.field]: now } : data;
};

/** When the step happened: its clinical-time field, or the entry time when none is given. */
export const clinicalTimeOf = (command: CourseCommand): string => field(command) ?? command.metadata.now;

export const lateEntryAfterMinutes = (def: ProtocolDefinition): number => def.lateEntryAfterMinutes ?? DEFAULT_LATE_ENTRY_AFTER_MINUTES;

/** Whether a command carries a field that only exists since clinical times (see `clinicalTimeRejection`'s `strict`, clinical-time.rules.ts). */
export const namesClinicalTime = (command: CourseCommand): boolean => {
  const data = command.data as Record<string, unknown>;
  return data['performedAt'] !== undefined || data['lateEntryReason'] !== undefined;
};

/** Event types whose data names their clinical time in a field of their own. */
const OWN_TIME_FIELDS: Readonly<Record<string, string>> = {
  InformedConsentRecorded: 'consentedAt',
  VitalsRecorded: 'measuredAt',
  AdverseEventReported: 'onsetAt',
};

/**
 * The clinical time of a stored event, for audit entries, exports and webhooks: `performedAt`, its own time
 * field, or, for a timed type stored before clinical times, its entry time. `null` for an administrative
 * event, whose entry time is its time. Reads raw (not upcast) data.
 */
export const clinicalTimeOfEvent = (type: string, data: Record<string, unknown>, occurredAt: string | null): string | null => {
  const own = OWN_TIME_FIELDS[type];
  const value = own ? data[own] : data['performedAt'];
  if (typeof value === 'string') return value;
  return (TIMED_EVENT_TYPES as readonly string[]).includes(type) ? occurredAt : null;
};

/** A stored event's late entry, if it was one: its reason and how many minutes after its clinical time it was entered. */
export const lateEntryOfEvent = (type: string, data: Record<string, unknown>, occurredAt: string | null): LateEntry | null => {
  const reason = data['lateEntryReason'];
  const happened = clinicalTimeOfEvent(type, data, occurredAt);
  if (typeof reason !== 'string') return null;
  return { reason, minutesAfter: happened && occurredAt ? Math.round(minutesBetween(happened, occurredAt)) : 0 };
};
