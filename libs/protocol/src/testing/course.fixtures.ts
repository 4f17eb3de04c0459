import type { Actor, StaffRole } from '../actor';
import type { CourseCommand, CourseCommandType } from '../command';
import { decide } from '../decide';
import type { Decision } from '../decision';
import { evolve } from '../evolve';
import type { CourseEvent } from '../event';
import { initialState, type CourseState } from '../state';

/** Test helpers: actors, a clock in days, command builders and given/when/then. Not used by production code. */

export const SITE = 'site-a';
export const actorFor = (role: StaffRole, siteId = SITE): Actor => ({ id: `u-${role}`, name: `Test ${role}`, role, siteId });

const DAY0 = Date.parse('2026-01-05T00:00:00Z');
/** Day `d` of the course at `hh:mm` UTC. */
export const at = (d: number, time = '09:00'): string => {
  const [h, m] = time.split(':').map(Number);
  return new Date(DAY0 + d * 86_400_000 + (h! * 60 + m!) * 60_000).toISOString();
};

type DataOf<T extends CourseCommandType> = Extract<CourseCommand, { type: T }>['data'];

/** A command of `type` by `role` at time `now`. */
export const cmd = <T extends CourseCommandType>(type: T, data: DataOf<T>, role: StaffRole, now: string): CourseCommand =>
  ({ type, data, metadata: { actor: actorFor(role), now, correlationId: `corr-${type}` } }) as CourseCommand;

export const signed = (meaning: string) => ({ signature: { meaning } });

/** Applies a command that must be accepted; fails the test with the rejection otherwise. */
export const apply = (state: CourseState, command: CourseCommand): CourseState => {
  const decision = decide(command, state);
  if (!decision.ok) {
    throw new Error(`${command.type} refused: ${decision.rejection.code} ${decision.rejection.message} ${JSON.stringify(decision.rejection.details)}`);
  }
  return decision.events.reduce(evolve, state);
};

export const given = (...commands: CourseCommand[]): CourseState => commands.reduce(apply, initialState());

/** Given a state, when a command, then it is accepted: its events (the test fails with the rejection otherwise). */
export const accepted = (state: CourseState, command: CourseCommand): CourseEvent[] => {
  const decision = decide(command, state);
  if (!decision.ok) throw new Error(`expected acceptance, got ${decision.rejection.code}: ${decision.rejection.message}`);
  return decision.events;
};

/** Given a state, when a command, then it is refused with `code`: the rejection. */
export const refused = (state: CourseState, command: CourseCommand, code: string) => {
  const decision = decide(command, state);
  expect(decision).toMatchObject({ ok: false, rejection: { code } });
  return decision.ok ? undefined : decision.rejection;
};

/**
 * Like `given`, for a course started while protocol `version` was the newest: StartCourse always pins the
 * newest version, so the first command (a StartCourse) is recorded with `version` instead.
 */
export const givenOn = (version: number, ...commands: CourseCommand[]): CourseState => {
  const [first, ...rest] = commands;
  const decision = first?.type === 'StartCourse' ? decide(first, initialState()) : undefined;
  if (!decision?.ok) throw new Error('givenOn needs an accepted StartCourse first');
  const started = decision.events
    .map((e) => (e.type === 'CourseStarted' ? { ...e, data: { ...e.data, protocolVersion: version } } : e))
    .reduce(evolve, initialState());
  return rest.reduce(apply, started);
};

/** The events a course recorded, by replaying its commands. */
export const eventsOf = (...commands: CourseCommand[]): CourseEvent[] => {
  let state = initialState();
  const events: CourseEvent[] = [];
  for (const command of commands) {
    const decision = decide(command, state);
    if (!decision.ok) throw new Error(`${command.type} refused: ${decision.rejection.code}`);
    events.push(...decision.events);
    state = decision.events.reduce(evolve, state);
  }
  return events;
};

export const rejectionOf = (decision: Decision): string | undefined => (decision.ok ? undefined : decision.rejection.code);

// ---------------------------------------------------------------- MDMA-AT course script

export const MDMA = 'mdma-at-ptsd';
export const ESKETAMINE = 'esketamine-monitored';

export const start = (protocolId: string, now = at(0, '08:00')): CourseCommand =>
  cmd('StartCourse', { courseId: 'c-1', patientRef: 'P-001', siteId: SITE, protocolId }, 'coordinator', now);

/** Consent as it is given, by default (a consent entered later names its time and, if late, why). */
export const consent = (now = at(0, '08:10'), consentedAt = now): CourseCommand =>
  cmd('RecordInformedConsent', { consentFormVersion: 'v3', consentedAt }, 'coordinator', now);

export const cssrs = (timepoint: string, now: string): CourseCommand =>
  cmd('RecordAssessment', { instrument: 'C-SSRS', timepoint, values: { suicidalIdeation: false, suicidalBehavior: false } }, 'therapist', now);

export const caps5 = (timepoint: string, total: number, now: string): CourseCommand =>
  cmd('RecordAssessment', { instrument: 'CAPS-5', timepoint, values: { total, ptsdDiagnosis: total >= 28, raterRef: 'IR-7' } }, 'therapist', now);

/** BDI-II (mdma-at-ptsd v3): total 0-63. */
export const bdi2 = (timepoint: string, total: number, now: string): CourseCommand =>
  cmd('RecordAssessment', { instrument: 'BDI-II', timepoint, values: { total } }, 'therapist', now);

/** PCL-5 (mdma-at-ptsd v3, optional, patient-reported): total 0-80; by default sent by an e-PRO integration. */
export const pcl5 = (timepoint: string, total: number, now: string, role: StaffRole = 'integration'): CourseCommand =>
  cmd('RecordAssessment', { instrument: 'PCL-5', timepoint, values: { total } }, role, now);

const MDMA_CRITERIA = [
  'age-18-or-over',
  'fluent-in-site-language',
  'able-to-swallow-pills',
  'consents-to-recording',
  'reports-new-conditions',
  'contraception',
  'lifestyle',
  'ptsd-diagnosis-6-months',
  'uncontrolled-hypertension',
  'ventricular-arrhythmia',
  'qtc-prolongation',
  'cardio-cerebrovascular-disease',
  'liver-disease',
  'low-body-weight',
  'primary-psychotic-disorder',
  'bipolar-i',
  'dissociative-identity-disorder',
  'eating-disorder-purging',
  'serious-suicide-risk',
  'substance-use-early-remission',
  'pregnancy-or-lactation',
];

export const criterion = (criterionId: string, outcome: 'pass' | 'fail' = 'pass', now = at(0, '10:00')): CourseCommand =>
  cmd('RecordEligibilityCriterion', { criterionId, outcome, evidence: 'Screening interview and records', ...signed('authorship') }, 'coordinator', now);

/** MDMA screening up to (not including) the eligibility determination. Washout ends on day 20. */
export const mdmaScreening = (baseline = 40): CourseCommand[] => [
  start(MDMA),
  consent(),
  cmd('RecordEmergencyContact', { contactRef: 'EC-1' }, 'coordinator', at(0, '08:20')),
  ...MDMA_CRITERIA.map((id) => criterion(id)),
  caps5('baseline', baseline, at(0, '11:00')),
  cmd('RecordMedicalClearance', { cleared: true, evidence: 'ECG and labs normal', ...signed('approval') }, 'physician', at(0, '12:00')),
  cmd('RecordMedicationWashout', { required: true, endsAt: at(20, '00:00') }, 'physician', at(0, '12:10')),
  cmd('RecordPregnancyTest', { result: 'negative' }, 'coordinator', at(0, '12:20')),
];

export const determineEligible = (now = at(0, '13:00')): CourseCommand =>
  cmd('DetermineEligibility', { eligible: true, ...signed('approval') }, 'physician', now);

/** A non-dosing visit: start, C-SSRS, complete. */
export const simpleVisit = (key: string, day: number, time = '09:00'): CourseCommand[] => [
  cmd('StartSession', { sessionKey: key }, 'therapist', at(day, time)),
  cssrs(key, at(day, '09:30')),
  cmd('CompleteSession', { sessionKey: key }, 'therapist', at(day, '10:30')),
];

export const vitals = (sessionKey: string, timing: 'pre_dose' | 'post_dose' | 'discharge' | 'other', now: string, bp: [number, number] = [120, 80], heartRate = 72) =>
  cmd('RecordVitals', { sessionKey, timing, systolic: bp[0], diastolic: bp[1], heartRate, temperatureC: 36.8 }, 'therapist', now);

/** Start of an MDMA dosing visit through the initial dose (given at 08:30). */
export const mdmaDosingStart = (key: string, day: number, doseMg: number): CourseCommand[] => [
  cmd('StartSession', { sessionKey: key }, 'therapist', at(day, '08:00')),
  vitals(key, 'pre_dose', at(day, '08:05')),
  cmd('RecordPreDoseChecks', { sessionKey: key, fasting: true, pregnancyTest: 'negative' }, 'therapist', at(day, '08:10')),
  cssrs(key, at(day, '08:15')),
  cmd('AdministerDose', { sessionKey: key, amountMg: doseMg, lotNumber: 'LOT-1', ...signed('responsibility') }, 'physician', at(day, '08:30')),
];

/** The rest of an MDMA dosing visit: supplemental at 10:30, discharge at 16:45, completed at 17:00. */
export const mdmaDosingEnd = (key: string, day: number, doseMg: number): CourseCommand[] => [
  vitals(key, 'post_dose', at(day, '10:00')),
  cmd('AdministerSupplementalDose', { sessionKey: key, amountMg: doseMg / 2 }, 'physician', at(day, '10:30')),
  vitals(key, 'discharge', at(day, '16:40')),
  cmd('DischargePatient', { sessionKey: key, criteriaMet: true, escortRef: 'ESC-1', overnightStay: true }, 'therapist', at(day, '16:45')),
  cmd('CompleteSession', { sessionKey: key }, 'therapist', at(day, '17:00')),
];

export const mdmaDosing = (key: string, day: number, doseMg: number): CourseCommand[] => [
  ...mdmaDosingStart(key, day, doseMg),
  ...mdmaDosingEnd(key, day, doseMg),
];

/** Eligible, prepared and ready for dosing-1 on day 28. */
export const mdmaPrepared = (): CourseCommand[] => [
  ...mdmaScreening(),
  determineEligible(),
  ...simpleVisit('prep-1', 7),
  ...simpleVisit('prep-2', 14),
  ...simpleVisit('prep-3', 21),
];

const cycle = (k: number, day: number, doseMg: number): CourseCommand[] => [
  ...mdmaDosing(`dosing-${k}`, day, doseMg),
  ...simpleVisit(`integration-${k}.1`, day + 1),
  ...simpleVisit(`integration-${k}.2`, day + 8),
  ...simpleVisit(`integration-${k}.3`, day + 15),
];

/** The newest MDMA-AT course (v3) up to its endpoint: the v2 course plus BDI-II at baseline and endpoint, day 126 (18 weeks). */
export const mdmaCourseToEndpoint = (): CourseCommand[] => [
  ...mdmaScreening(),
  bdi2('baseline', 30, at(0, '11:30')),
  determineEligible(),
  ...simpleVisit('prep-1', 7),
  ...simpleVisit('prep-2', 14),
  ...simpleVisit('prep-3', 21),
  ...cycle(1, 28, 80),
  ...cycle(2, 56, 120),
  caps5('caps5-after-dosing-2', 30, at(60)),
  ...cycle(3, 84, 120),
  caps5('caps5-after-dosing-3', 22, at(88)),
  caps5('caps5-endpoint', 18, at(126)),
  bdi2('bdi2-endpoint', 12, at(126, '10:00')),
];

/**
 * A complete MDMA-AT course (v3): screening day 0, dosing days 28, 56, 84, endpoint day 126 (18 weeks),
 * long-term follow-up CAPS-5 on day 268 (184 days after the last dosing session).
 */
export const mdmaCompleteCourse = (): CourseCommand[] => [
  ...mdmaCourseToEndpoint(),
  caps5('caps5-long-term-follow-up', 16, at(268)),
  cmd('CompleteCourse', signed('responsibility'), 'physician', at(268, '12:00')),
];

// ---------------------------------------------------------------- esketamine course script

const ESKETAMINE_CRITERIA = ['rems-enrolled', 'transport-arranged', 'aneurysmal-vascular-disease', 'arteriovenous-malformation', 'intracerebral-haemorrhage'];

export const esketamineEligible = (): CourseCommand[] => [
  start(ESKETAMINE),
  consent(),
  ...ESKETAMINE_CRITERIA.map((id) => criterion(id)),
  determineEligible(),
];

export const monitoringForm = (key: string, now: string, overrides: Record<string, string | number | boolean> = {}) =>
  cmd(
    'SubmitMonitoringForm',
    {
      sessionKey: key,
      values: {
        benzodiazepines: false,
        hypnotics: false,
        psychostimulants: false,
        maois: false,
        doseMg: 56,
        lotNumber: 'LOT-9',
        minutesMonitored: 125,
        couldHaveLeftAt: '2026-01-12T11:15:00Z',
        vitalsInRange: true,
        sedation: false,
        dissociation: true,
        respiratoryDepression: false,
        seriousAdverseEvents: false,
        ...overrides,
      },
      ...signed('authorship'),
    },
    'physician',
    now,
  );

/** One esketamine treatment visit on `day`: dose at 09:15, 40-minute reading, discharge 11:20. */
export const esketamineVisit = (key: string, day: number, withForm = true): CourseCommand[] => [
  cmd('StartSession', { sessionKey: key }, 'physician', at(day, '09:00')),
  vitals(key, 'pre_dose', at(day, '09:05')),
  cmd('RecordPreDoseChecks', { sessionKey: key, fasting: true, pregnancyTest: 'not_applicable' }, 'physician', at(day, '09:10')),
  cmd('AdministerDose', { sessionKey: key, amountMg: 56, lotNumber: 'LOT-9' }, 'physician', at(day, '09:15')),
  vitals(key, 'post_dose', at(day, '09:55')),
  vitals(key, 'discharge', at(day, '11:15')),
  cmd('DischargePatient', { sessionKey: key, criteriaMet: true, escortRef: 'ESC-2' }, 'physician', at(day, '11:20')),
  cmd('CompleteSession', { sessionKey: key }, 'physician', at(day, '11:30')),
  ...(withForm ? [monitoringForm(key, at(day + 1))] : []),
];

export const esketamineCompleteCourse = (): CourseCommand[] => [
  ...esketamineEligible(),
  ...esketamineVisit('treatment-1', 7),
  ...esketamineVisit('treatment-2', 10),
  ...esketamineVisit('treatment-3', 14),
  ...esketamineVisit('treatment-4', 17),
  cmd('CompleteCourse', signed('responsibility'), 'physician', at(18)),
];

// ---------------------------------------------------------------- the workflow's due-date notices

export const systemActor = (siteId = SITE): Actor => ({ id: 'system:course-workflow', name: 'Course workflow (automatic)', role: 'system', siteId });

/** A due-date notice as the course workflow would issue it at `now`. */
export const notice = (kind: 'reminder' | 'overdue' | 'escalation', dueKey: string, dueAt: string, now: string): CourseCommand =>
  ({ type: 'RecordDueDateNotice', data: { notice: kind, dueKey, dueAt }, metadata: { actor: systemActor(), now, correlationId: 'corr-timer' } }) as CourseCommand;
