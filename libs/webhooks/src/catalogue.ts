import { clinicalTimeOfEvent, commandDataJsonSchema, lateEntryOfEvent, type CourseCommandType } from '@care/protocol';

/**
 * The published catalogue of webhook event types: what the service sends (outbound, one per kind of
 * recorded course event) and what it accepts (inbound, one protocol command each).
 */

type OutboundType = {
  type: string;
  description: string;
  /** The course event types that produce it. */
  from: readonly string[];
  /** Non-clinical fields of the course event copied into the payload (never patient data or values). */
  fields: readonly string[];
};

const SESSION = ['sessionKey'] as const;
const DUE = ['dueKey', 'label', 'command', 'sessionKey', 'dueAt'] as const;

export const OUTBOUND_EVENT_TYPES: readonly OutboundType[] = [
  { type: 'course.started', description: 'A course of care was started.', from: ['CourseStarted'], fields: ['protocolId', 'protocolVersion'] },
  { type: 'course.completed', description: 'A course of care was completed.', from: ['CourseCompleted'], fields: [] },
  { type: 'course.withdrawn', description: 'A course of care was withdrawn.', from: ['CourseWithdrawn'], fields: [] },
  { type: 'session.scheduled', description: 'A visit was scheduled.', from: ['SessionScheduled'], fields: [...SESSION, 'scheduledFor'] },
  { type: 'session.started', description: 'A visit started.', from: ['SessionStarted'], fields: SESSION },
  { type: 'session.completed', description: 'A visit was completed.', from: ['SessionCompleted'], fields: SESSION },
  { type: 'session.missed', description: 'A visit was missed.', from: ['SessionMissed'], fields: SESSION },
  { type: 'session.cancelled', description: 'A visit was cancelled.', from: ['SessionCancelled'], fields: SESSION },
  { type: 'dose.administered', description: 'A dose (initial or supplemental) was given.', from: ['DoseAdministered', 'SupplementalDoseAdministered'], fields: SESSION },
  {
    type: 'vitals.alert',
    description: 'An alert was raised during a visit (vital signs over the protocol threshold, a missed reading, or raised by staff).',
    from: ['AlertRaised'],
    fields: [...SESSION, 'source'],
  },
  { type: 'adverse_event.reported', description: 'An adverse event was reported.', from: ['AdverseEventReported'], fields: [...SESSION, 'seriousSuspected'] },
  { type: 'safety_hold.placed', description: 'A safety hold blocks dosing on the course.', from: ['SafetyHoldPlaced'], fields: ['source'] },
  { type: 'safety_hold.cleared', description: 'A safety hold was cleared.', from: ['SafetyHoldCleared'], fields: ['holdRef'] },
  { type: 'due.reminder', description: 'A step is due soon.', from: ['DueDateReminderIssued'], fields: DUE },
  { type: 'due.passed', description: 'A step is past its due date.', from: ['DueDatePassed'], fields: DUE },
  { type: 'due.escalated', description: 'A step is still open well after its due date.', from: ['DueDateEscalated'], fields: DUE },
];

export const OUTBOUND_TYPE_NAMES: readonly string[] = OUTBOUND_EVENT_TYPES.map((t) => t.type);

const BY_COURSE_EVENT = new Map(OUTBOUND_EVENT_TYPES.flatMap((t) => t.from.map((from) => [from, t] as const)));

/** The outbound type of a course event, or undefined when no webhook is sent for it. */
export const outboundTypeOf = (courseEventType: string): string | undefined => BY_COURSE_EVENT.get(courseEventType)?.type;

export type RecordedCourseEvent = {
  eventId: string;
  streamId: string;
  streamVersion: number;
  type: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  recordedAt: string;
};

export type ThinPayload = {
  type: string;
  timestamp: string;
  data: { courseId: string; siteId: string; eventId: string; streamVersion: number; occurredAt: string } & Record<string, unknown>;
};

/**
 * The thin payload of a course event: what happened, to which course, where to read it. No patient
 * reference and no clinical value: the receiver reads details through the API, where the read is
 * authorised and access-logged. `streamVersion` orders the events of one course.
 */
export const thinPayload = (event: RecordedCourseEvent, courseId: string, siteId: string): ThinPayload | undefined => {
  const type = BY_COURSE_EVENT.get(event.type);
  if (!type) return undefined;
  const extra = Object.fromEntries(type.fields.filter((f) => event.data[f] !== undefined && event.data[f] !== null).map((f) => [f, event.data[f]]));
  const occurredAt = typeof event.metadata['occurredAt'] === 'string' ? event.metadata['occurredAt'] : event.recordedAt;
  const performedAt = clinicalTimeOfEvent(event.type, event.data, occurredAt);
  // The late-entry reason is free text (it may name the patient): only the flag goes out.
  const late = lateEntryOfEvent(event.type, event.data, occurredAt) !== null;
  return {
    type: type.type,
    timestamp: event.recordedAt,
    data: {
      ...extra,
      courseId,
      siteId,
      eventId: event.eventId,
      streamVersion: event.streamVersion,
      occurredAt,
      ...(performedAt ? { performedAt } : {}),
      ...(late ? { lateEntry: true } : {}),
    },
  };
};

type InboundType = { type: string; command: CourseCommandType; description: string };

export const INBOUND_EVENT_TYPES: readonly InboundType[] = [
  { type: 'consent.signed', command: 'RecordInformedConsent', description: 'An e-consent tool reports a signed informed consent.' },
  { type: 'appointment.booked', command: 'ScheduleSession', description: 'A scheduling system booked a visit.' },
  { type: 'appointment.cancelled', command: 'CancelSession', description: 'A scheduling system cancelled a visit.' },
  { type: 'vitals.reading', command: 'RecordVitals', description: 'A vital-signs monitor reports a reading during a dosing session.' },
  { type: 'assessment.completed', command: 'RecordAssessment', description: 'A patient-reported or rater assessment was completed (e.g. PCL-5 by an e-PRO system).' },
];

export const inboundCommandOf = (type: string): CourseCommandType | undefined => INBOUND_EVENT_TYPES.find((t) => t.type === type)?.command;

const COURSE_ID_SCHEMA = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$', description: 'The course the step belongs to.' };

const outboundDataSchema = (t: OutboundType): Record<string, unknown> => ({
  type: 'object',
  properties: {
    courseId: { type: 'string' },
    siteId: { type: 'string' },
    eventId: { type: 'string', format: 'uuid' },
    streamVersion: { type: 'integer', minimum: 1, description: 'Position of the event in its course: orders events of one course.' },
    occurredAt: { type: 'string', format: 'date-time', description: 'When the step was entered.' },
    performedAt: { type: 'string', format: 'date-time', description: 'When the step happened (its clinical time), for clinical steps.' },
    lateEntry: { type: 'boolean', const: true, description: 'Present when the step was entered later than the protocol allows without a reason.' },
    ...Object.fromEntries(t.fields.map((f) => [f, {}])),
  },
  required: ['courseId', 'siteId', 'eventId', 'streamVersion', 'occurredAt'],
});

/** The catalogue as published by GET /integrations/event-types, with the JSON Schema of each `data`. */
export const eventTypeCatalogue = () => ({
  outbound: OUTBOUND_EVENT_TYPES.map((t) => ({ type: t.type, description: t.description, dataSchema: outboundDataSchema(t) })),
  inbound: INBOUND_EVENT_TYPES.map((t) => {
    // No signature field: an integration never signs (steps that need a clinician's signature are refused).
    const command = commandDataJsonSchema(t.command) as { properties: Record<string, unknown>; required: string[]; examples?: Record<string, unknown>[] };
    const properties = Object.fromEntries(Object.entries(command.properties).filter(([name]) => name !== 'signature'));
    const examples = command.examples?.map(({ signature: _signature, ...data }) => ({ courseId: 'course-2026-0042', ...data }));
    return {
      type: t.type,
      description: t.description,
      command: t.command,
      dataSchema: {
        ...command,
        properties: { courseId: COURSE_ID_SCHEMA, ...properties },
        required: ['courseId', ...command.required],
        ...(examples ? { examples } : {}),
      },
    };
  }),
});
