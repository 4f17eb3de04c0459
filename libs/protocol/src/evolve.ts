import { findProtocol } from './definitions/registry';
import type { CourseEvent, SignatureManifestation } from './event';
import { isBefore } from './time';
import { unsigned } from './unsigned';
import type { CourseState, SessionState } from './state';

const updateSession = (state: CourseState, key: string, change: (s: SessionState) => SessionState): SessionState[] =>
  state.sessions.map((s) => (s.key === key ? change(s) : s));

const updateDosing = (
  state: CourseState,
  key: string,
  change: (d: NonNullable<SessionState['dosing']>) => NonNullable<SessionState['dosing']>,
): SessionState[] => updateSession(state, key, (s) => (s.dosing ? { ...s, dosing: change(s.dosing) } : s));

const emptyDosing = (): NonNullable<SessionState['dosing']> => ({
  preDoseChecks: null,
  initialDose: null,
  supplemental: null,
  discharge: null,
  monitoringForm: null,
});

/** A visit back in the queue after a missed or cancelled attempt: what the attempt recorded stays in the event log. */
const requeued = (s: SessionState): SessionState => ({
  ...s,
  status: 'pending',
  scheduledFor: null,
  startedAt: null,
  attempt: s.attempt + 1,
  assessments: [],
  dosing: s.dosing ? emptyDosing() : null,
});

/** The visits of a protocol, all pending, in protocol order. */
const sessionsOf = (protocolId: string, version: number): SessionState[] =>
  (findProtocol(protocolId, version)?.sessions ?? []).map((s) => ({
    key: s.key,
    status: 'pending',
    scheduledFor: null,
    startedAt: null,
    completedAt: null,
    attempt: 1,
    missedCount: 0,
    cancelledCount: 0,
    assessments: [],
    dosing: s.kind === 'dosing' ? emptyDosing() : null,
  }));

const phaseOf = (state: CourseState, sessionKey: string): CourseState['phase'] => {
  const def = state.protocol && findProtocol(state.protocol.id, state.protocol.version);
  return def?.sessions.find((s) => s.key === sessionKey)?.phase ?? state.phase;
};

const latest = (a: string | null | undefined, b: string): string => (a && isBefore(b, a) ? a : b);

/** Folds one event into the state. Pure; never refuses: events are facts. */
export const evolve = (state: CourseState, event: CourseEvent): CourseState => {
  const version = state.version + 1;
  const signature = (event.data as { signature?: SignatureManifestation }).signature;
  const next: CourseState = {
    ...state,
    version,
    eventTypes: [...state.eventTypes, event.type],
    ...(signature ? { signatures: { ...state.signatures, [String(version)]: signature } } : {}),
  };
  // Clinical time: when it happened (events stored before clinical times are upcast to their entry time).
  const at = (event.data as { performedAt?: string }).performedAt ?? event.metadata.occurredAt;
  const screened = (time: string): CourseState['screening'] => ({ ...state.screening, lastRecordedAt: latest(state.screening.lastRecordedAt, time) });
  switch (event.type) {
    case 'CourseStarted':
      return {
        ...next,
        status: 'active',
        phase: 'screening',
        startedAt: at,
        courseId: event.data.courseId,
        siteId: event.data.siteId,
        protocol: { id: event.data.protocolId, version: event.data.protocolVersion },
        sessions: sessionsOf(event.data.protocolId, event.data.protocolVersion),
      };
    case 'InformedConsentRecorded':
      return { ...next, screening: { ...state.screening, consentRecorded: true, consentedAt: event.data.consentedAt } };
    case 'EmergencyContactRecorded':
      return { ...next, screening: { ...state.screening, emergencyContactRecorded: true } };
    case 'EligibilityCriterionRecorded':
      return {
        ...next,
        screening: { ...screened(at), criteria: { ...state.screening.criteria, [event.data.criterionId]: event.data.outcome } },
      };
    case 'MedicalClearanceRecorded':
      return { ...next, screening: { ...screened(at), medicalClearance: event.data.cleared } };
    case 'MedicationWashoutRecorded':
      return { ...next, screening: { ...state.screening, washout: { required: event.data.required, endsAt: event.data.endsAt } } };
    case 'PregnancyTestRecorded':
      return { ...next, screening: { ...screened(at), pregnancyTest: event.data.result } };
    case 'EligibilityDetermined': {
      const screening = { ...state.screening, eligibility: event.data.eligible ? ('eligible' as const) : ('ineligible' as const) };
      if (!event.data.eligible) {
        return { ...next, screening, status: 'withdrawn', phase: 'closed', closedAt: at, closedReason: 'screen_failed' };
      }
      const first = state.sessions[0];
      return { ...next, screening, eligibleSince: at, phase: first ? phaseOf(state, first.key) : 'follow_up' };
    }
    case 'AssessmentRecorded':
      return {
        ...next,
        ...(event.data.timepoint === 'baseline' ? { screening: screened(at) } : {}),
        assessments: [
          ...state.assessments,
          { version, instrument: event.data.instrument, timepoint: event.data.timepoint, values: event.data.values, recordedAt: at },
        ],
        sessions: updateSession(state, event.data.timepoint, (s) =>
          s.status === 'in_progress' ? { ...s, assessments: [...s.assessments, event.data.instrument] } : s,
        ),
      };
    case 'SessionScheduled':
      return {
        ...next,
        sessions: updateSession(state, event.data.sessionKey, (s) => ({ ...s, status: 'scheduled', scheduledFor: event.data.scheduledFor })),
      };
    case 'SessionStarted':
      return {
        ...next,
        phase: phaseOf(state, event.data.sessionKey),
        sessions: updateSession(state, event.data.sessionKey, (s) => ({ ...s, status: 'in_progress', startedAt: at })),
      };
    case 'SessionCompleted': {
      const sessions = updateSession(state, event.data.sessionKey, (s) => ({ ...s, status: 'completed', completedAt: at }));
      return { ...next, sessions, phase: sessions.every((s) => s.status === 'completed') ? 'follow_up' : state.phase };
    }
    case 'SessionMissed':
      return { ...next, sessions: updateSession(state, event.data.sessionKey, (s) => ({ ...requeued(s), missedCount: s.missedCount + 1 })) };
    case 'SessionCancelled':
      return {
        ...next,
        sessions: updateSession(state, event.data.sessionKey, (s) => ({ ...requeued(s), cancelledCount: s.cancelledCount + 1 })),
      };
    case 'PreDoseChecksRecorded':
      return {
        ...next,
        sessions: updateDosing(state, event.data.sessionKey, (d) => ({
          ...d,
          preDoseChecks: { fasting: event.data.fasting, pregnancyTest: event.data.pregnancyTest, at },
        })),
      };
    case 'DoseAdministered':
      return {
        ...next,
        sessions: updateDosing(state, event.data.sessionKey, (d) => ({ ...d, initialDose: { amountMg: event.data.amountMg, at } })),
      };
    case 'SupplementalDoseAdministered':
      return {
        ...next,
        sessions: updateDosing(state, event.data.sessionKey, (d) => ({
          ...d,
          supplemental: { outcome: 'given', amountMg: event.data.amountMg, at },
        })),
      };
    case 'SupplementalDoseWithheld':
      return {
        ...next,
        sessions: updateDosing(state, event.data.sessionKey, (d) => ({
          ...d,
          supplemental: { outcome: 'withheld', reason: event.data.reason, at },
        })),
      };
    case 'VitalsRecorded': {
      const session = state.sessions.find((s) => s.key === event.data.sessionKey);
      const reading = unsigned(event.data);
      return { ...next, vitals: [...state.vitals, { version, attempt: session?.attempt ?? 1, ...reading }] };
    }
    case 'AlertRaised':
      return { ...next, alertCount: state.alertCount + 1 };
    case 'PatientDischarged':
      return {
        ...next,
        sessions: updateDosing(state, event.data.sessionKey, (d) => ({
          ...d,
          discharge: { at, escortRef: event.data.escortRef, overnightStay: event.data.overnightStay },
        })),
      };
    case 'MonitoringFormSubmitted':
      return {
        ...next,
        sessions: updateDosing(state, event.data.sessionKey, (d) => ({ ...d, monitoringForm: { submittedAt: at, late: event.data.late } })),
      };
    case 'AdverseEventReported':
      return {
        ...next,
        adverseEvents: [
          ...state.adverseEvents,
          { ref: version, reportedAt: at, sessionKey: event.data.sessionKey, seriousSuspected: event.data.seriousSuspected, classification: null },
        ],
      };
    case 'AdverseEventClassified': {
      const { serious, aesiCategory, causality, severity } = event.data;
      return {
        ...next,
        adverseEvents: state.adverseEvents.map((a) =>
          a.ref === event.data.adverseEventRef ? { ...a, classification: { serious, aesiCategory, causality, severity } } : a,
        ),
      };
    }
    case 'SafetyHoldPlaced':
      return {
        ...next,
        status: 'on_hold',
        holds: [...state.holds, { ref: version, reason: event.data.reason, placedAt: at, adverseEventRef: event.data.adverseEventRef, clearedAt: null }],
      };
    case 'SafetyHoldCleared': {
      const holds = state.holds.map((h) => (h.ref === event.data.holdRef ? { ...h, clearedAt: at } : h));
      return { ...next, holds, status: holds.some((h) => h.clearedAt === null) ? 'on_hold' : 'active' };
    }
    case 'CourseWithdrawn':
      return { ...next, status: 'withdrawn', phase: 'closed', closedAt: at, closedReason: 'withdrawn' };
    case 'EventCorrected': {
      const { eventVersion, values, reason } = event.data;
      return {
        ...next,
        corrections: [...state.corrections, { version, eventVersion, reason }],
        // The corrected record's signature no longer covers what the record now says (Part 11 §11.70).
        signatures: Object.fromEntries(Object.entries(next.signatures).filter(([v]) => v !== String(eventVersion))),
        assessments: state.assessments.map((a) => (a.version === eventVersion ? { ...a, values: { ...a.values, ...values } } : a)),
        vitals: state.vitals.map((v) => (v.version === eventVersion ? { ...v, ...(values as Partial<typeof v>) } : v)),
      };
    }
    case 'CourseCompleted':
      return { ...next, status: 'completed', phase: 'closed', closedAt: at, closedReason: 'completed' };
    case 'DueDateReminderIssued':
    case 'DueDatePassed':
    case 'DueDateEscalated': {
      const notice = event.type === 'DueDateReminderIssued' ? 'reminder' : event.type === 'DueDatePassed' ? 'overdue' : 'escalation';
      const fired = state.notices[event.data.dueKey] ?? [];
      return { ...next, notices: { ...state.notices, [event.data.dueKey]: [...fired, notice] } };
    }
    case 'EligibilityExpired':
      // Back to screening: the team re-checks and determines eligibility again before any dosing.
      return { ...next, screening: { ...state.screening, eligibility: null }, eligibleSince: null, phase: 'screening' };
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
};
