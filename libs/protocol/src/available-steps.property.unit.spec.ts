import fc from 'fast-check';
import { availableSteps } from './available-steps';
import type { BlockedStep, Step } from './step';
import type { CourseCommand, CourseCommandType, OutcomeValue, OutcomeValues } from './command';
import { decide } from './decide';
import type { Decision } from './decision';
import type { OutcomeField } from './definitions/outcome-field';
import type { ProtocolDefinition } from './definitions/protocol-definition';
import { findProtocol } from './definitions/registry';
import { pendingNotices } from './due-notices';
import { parseCommandInput } from './parse-command';
import { evolve } from './evolve';
import { addMinutes, isBefore, minutesBetween } from './time';
import { initialState, isCourseClosed, type CourseState } from './state';
import { STAFF_ROLES, type StaffRole } from './actor';
import { actorFor, esketamineCompleteCourse, mdmaCompleteCourse, systemActor } from './testing/course.fixtures';

/*
 * `availableSteps` and `decide` must never disagree. Random courses of both protocols are built by taking,
 * again and again, one of the steps `availableSteps` offers (a valid command for it, by a role it names,
 * signed as it says), advancing the clock (minutes to weeks, or into the window of a step that waits for
 * one), and now and then what is never a step but happens (an adverse event, a safety hold, the workflow's
 * due-date notices). In every state reached:
 *   (a) every available step, as a valid command at `now`, is accepted by `decide`;
 *   (b) every blocked step, as such a command, is refused by `decide` with exactly the step's `reason`;
 *   (c) a step is blocked for time only while `now` is outside the window it names, and an available step is
 *       not before its `earliest` time;
 *   (d) the same command by a role the step does not name is refused with ROLE_NOT_PERMITTED, and unsigned,
 *       when the step names a signature meaning, with SIGNATURE_REQUIRED.
 */

type Gen = fc.GeneratorValue;

const MINUTES_PER = { minute: 1, hour: 60, day: 24 * 60, week: 7 * 24 * 60 } as const;

/** True about once in `n` draws. */
const oneIn = (g: Gen, n: number): boolean => g(fc.integer, { min: 1, max: n }) === 1;
const pick = <T>(g: Gen, values: readonly T[]): T => values[g(fc.integer, { min: 0, max: values.length - 1 })]!;

const commandOf = (type: CourseCommandType, data: Record<string, unknown>, role: StaffRole, now: string): CourseCommand =>
  ({ type, data, metadata: { actor: actorFor(role), now, correlationId: 'corr-steps-property' } }) as CourseCommand;

/** A valid value of an outcome field, inside its range or options. */
const valueOf = (g: Gen, field: OutcomeField, now: string): OutcomeValue => {
  switch (field.type) {
    case 'integer':
    case 'number': {
      const min = Math.ceil(field.min ?? 0);
      return g(fc.integer, { min, max: Math.floor(field.max ?? min + 100) });
    }
    case 'boolean':
      return g(fc.boolean);
    case 'enum':
      return pick(g, field.options ?? []);
    case 'text':
      return 'Recorded by the property test';
    case 'datetime':
      return now;
  }
};

/** Valid values of an instrument or form: every required field, some optional ones; baseline scores mostly eligible. */
const valuesOf = (g: Gen, fields: readonly OutcomeField[], now: string, floor?: { field: string; minimum: number }): OutcomeValues => {
  const values: OutcomeValues = {};
  for (const field of fields) {
    if (!field.required && g(fc.boolean)) continue;
    values[field.name] =
      floor?.field === field.name && !oneIn(g, 8) ? g(fc.integer, { min: floor.minimum, max: field.max ?? floor.minimum + 40 }) : valueOf(g, field, now);
  }
  return values;
};

/** Vital signs in the range the command accepts, mostly unremarkable. */
const vitalsOf = (g: Gen) =>
  oneIn(g, 6)
    ? { systolic: g(fc.integer, { min: 40, max: 300 }), diastolic: g(fc.integer, { min: 20, max: 200 }), heartRate: g(fc.integer, { min: 20, max: 250 }) }
    : { systolic: g(fc.integer, { min: 100, max: 135 }), diastolic: g(fc.integer, { min: 60, max: 85 }), heartRate: g(fc.integer, { min: 55, max: 95 }) };

/** The visit time a ScheduleSession step allows: inside its window and not in the past. */
const scheduledFor = (g: Gen, step: Step, now: string): string => {
  const from = step.earliest && isBefore(now, step.earliest) ? step.earliest : now;
  const span = step.latest && !isBefore(step.latest, from) ? minutesBetween(from, step.latest) : 14 * MINUTES_PER.day;
  return addMinutes(from, g(fc.integer, { min: 0, max: Math.floor(span) }));
};

/** The data of a valid command for `step`, from the protocol's own definition (amounts, fields, windows). */
const dataFor = (g: Gen, def: ProtocolDefinition, state: CourseState, step: Step, now: string): Record<string, unknown> => {
  const sessionKey = step.sessionKey!;
  const session = state.sessions.find((s) => s.key === step.sessionKey);
  switch (step.command) {
    case 'RecordInformedConsent':
      return { consentFormVersion: 'v3', consentedAt: now };
    case 'RecordEmergencyContact':
      return { contactRef: 'EC-1' };
    case 'RecordEligibilityCriterion':
      return { criterionId: step.criterionId!, outcome: oneIn(g, 100) ? 'fail' : 'pass', evidence: 'Screening interview and records' };
    case 'RecordEligibilityCriteria':
      return { criteria: step.criterionIds!.map((criterionId) => ({ criterionId, outcome: oneIn(g, 100) ? 'fail' : 'pass', evidence: 'Screening interview and records' })) };
    case 'RecordMedicalClearance':
      return { cleared: !oneIn(g, 30), evidence: 'ECG and labs' };
    case 'RecordMedicationWashout':
      return g(fc.boolean) ? { required: true, endsAt: addMinutes(now, g(fc.integer, { min: 0, max: 30 * MINUTES_PER.day })) } : { required: false };
    case 'RecordPregnancyTest':
      return { result: oneIn(g, 30) ? 'positive' : pick(g, ['negative', 'not_applicable']) };
    case 'DetermineEligibility':
      return { eligible: true };
    case 'RecordAssessment': {
      const instrument = def.instruments.find((i) => i.id === step.instrument)!;
      const floor = step.timepoint === 'baseline' && def.screening.baseline?.instrument === instrument.id ? def.screening.baseline : undefined;
      return { instrument: instrument.id, timepoint: step.timepoint!, values: valuesOf(g, instrument.fields, now, floor) };
    }
    case 'ScheduleSession':
      return { sessionKey, scheduledFor: scheduledFor(g, step, now) };
    case 'StartSession':
    case 'CompleteSession':
      return { sessionKey };
    case 'CancelSession':
      return { sessionKey, reason: 'Room unavailable' };
    case 'RecordPreDoseChecks':
      return { sessionKey, fasting: !oneIn(g, 10), pregnancyTest: oneIn(g, 30) ? 'positive' : pick(g, ['negative', 'not_applicable']) };
    case 'RecordVitals': {
      const timings = session?.dosing?.initialDose ? ['post_dose', 'discharge', 'other'] : ['pre_dose'];
      return { sessionKey, timing: pick(g, timings), ...vitalsOf(g), ...(g(fc.boolean) ? { temperatureC: pick(g, [36.4, 36.8, 37.2, 38.4]) } : {}) };
    }
    case 'AdministerDose': {
      const { initialDoseOptions: options, initialDoseRange: range } = def.dosing;
      const amountMg = options ? pick(g, options) : range ? g(fc.integer, { min: Math.ceil(range.min), max: Math.floor(range.max) }) : pick(g, [56, 84]);
      return { sessionKey, amountMg, ...(g(fc.boolean) ? { lotNumber: 'LOT-1' } : {}) };
    }
    case 'AdministerSupplementalDose':
      return { sessionKey, amountMg: session!.dosing!.initialDose!.amountMg * def.dosing.supplemental!.ratio };
    case 'WithholdSupplementalDose':
      return { sessionKey, reason: 'Patient declined' };
    case 'DischargePatient': {
      const rules = def.dosing.discharge;
      return { sessionKey, criteriaMet: true, ...(rules.escortRequired || g(fc.boolean) ? { escortRef: 'ESC-1' } : {}), ...(rules.overnightStay ? { overnightStay: true } : {}) };
    }
    case 'SubmitMonitoringForm':
      return { sessionKey, values: valuesOf(g, def.dosing.monitoringForm!.fields, now) };
    case 'ClassifyAdverseEvent':
      return {
        adverseEventRef: step.ref!,
        serious: oneIn(g, 4),
        causality: pick(g, ['not_related', 'unlikely', 'possible', 'probable', 'definite']),
        severity: pick(g, ['mild', 'moderate', 'severe']),
        ...(def.aesiCategories.length > 0 && g(fc.boolean) ? { aesiCategory: pick(g, def.aesiCategories) } : {}),
      };
    case 'ClearSafetyHold':
      return { holdRef: step.ref!, reason: 'Reviewed by the physician' };
    case 'CompleteCourse':
      return {};
    default:
      throw new Error(`The property test builds no ${step.command} command yet: add it to dataFor`);
  }
};

/** A valid command for `step` at `now`, by one of its roles, signed when it asks; checked by the command's own schema. */
const commandFor = (g: Gen, def: ProtocolDefinition, state: CourseState, step: Step, now: string): CourseCommand => {
  if (step.roles.length === 0) throw new Error(`Step ${step.command} names no role`);
  const data = { ...dataFor(g, def, state, step, now), ...(step.signatureMeaning ? { signature: { meaning: step.signatureMeaning } } : {}) };
  const parsed = parseCommandInput({ type: step.command, data });
  if (!parsed.ok) throw new Error(`The property test built an invalid ${step.command}: ${JSON.stringify(parsed.errors)}`);
  return commandOf(step.command, data, pick(g, step.roles), now);
};

/** Enough of a state to read a counterexample. */
const summary = (state: CourseState) => ({
  status: state.status,
  eligibility: state.screening.eligibility,
  washout: state.screening.washout,
  holds: state.holds.filter((h) => h.clearedAt === null).map((h) => h.ref),
  sessions: state.sessions.filter((s) => s.status !== 'pending' || s.attempt > 1).map((s) => ({ key: s.key, status: s.status, startedAt: s.startedAt, dosing: s.dosing })),
});

const disagreement = (what: string, state: CourseState, now: string, step: Step, decision?: Decision): Error =>
  new Error(
    `${what}\nnow: ${now}\nstep: ${JSON.stringify(step)}\n` +
      (decision ? `decide: ${JSON.stringify(decision.ok ? { ok: true, events: decision.events.map((e) => e.type) } : decision.rejection)}\n` : '') +
      `state: ${JSON.stringify(summary(state))}`,
  );

const TIME_REASONS = ['INTERVAL_NOT_MET', 'MONITORING_INCOMPLETE', 'WASHOUT_INCOMPLETE'];

/** Property (d): who may take the step and how it is signed are the decider's own preconditions. */
const checkPermissions = (g: Gen, state: CourseState, now: string, step: Step, command: CourseCommand): void => {
  const others = STAFF_ROLES.filter((r) => !step.roles.includes(r));
  if (others.length > 0) {
    const role = pick(g, others);
    const decision = decide({ ...command, metadata: { ...command.metadata, actor: actorFor(role) } } as CourseCommand, state);
    if (decision.ok || decision.rejection.code !== 'ROLE_NOT_PERMITTED') throw disagreement(`(d) a ${role} is not refused the step`, state, now, step, decision);
  }
  if (step.signatureMeaning) {
    const unsigned = { ...(command.data as Record<string, unknown>) };
    delete unsigned['signature'];
    const decision = decide({ ...command, data: unsigned } as CourseCommand, state);
    if (decision.ok || decision.rejection.code !== 'SIGNATURE_REQUIRED') throw disagreement('(d) the step is not refused unsigned', state, now, step, decision);
  }
};

/** Properties (a) to (d) in one state. */
const checkSteps = (g: Gen, def: ProtocolDefinition, state: CourseState, now: string): void => {
  const steps = availableSteps(state, now);
  for (const step of steps.available) {
    const command = commandFor(g, def, state, step, now);
    const decision = decide(command, state);
    if (!decision.ok) throw disagreement('(a) an available step is refused', state, now, step, decision);
    checkPermissions(g, state, now, step, command);
    if (step.command !== 'ScheduleSession' && step.earliest && isBefore(now, step.earliest)) {
      throw disagreement('(c) a step is available before its earliest time', state, now, step);
    }
  }
  for (const step of steps.blocked) {
    const command = commandFor(g, def, state, step, now);
    const decision = decide(command, state);
    if (decision.ok || decision.rejection.code !== step.reason) throw disagreement(`(b) a blocked step is not refused with ${step.reason}`, state, now, step, decision);
    checkTimes(state, now, step);
    checkPermissions(g, state, now, step, command);
  }
};

const checkTimes = (state: CourseState, now: string, step: BlockedStep): void => {
  if (TIME_REASONS.includes(step.reason) && !(step.earliest && isBefore(now, step.earliest))) {
    throw disagreement(`(c) a step blocked with ${step.reason} names no earliest time after now`, state, now, step);
  }
  const from = step.earliest && isBefore(now, step.earliest) ? step.earliest : now;
  if (step.reason === 'WINDOW_CLOSED' && !(step.latest && isBefore(step.latest, from))) {
    throw disagreement('(c) a step blocked with WINDOW_CLOSED names no latest time before now', state, now, step);
  }
};

const apply = (state: CourseState, command: CourseCommand, step?: Step): CourseState => {
  const decision = decide(command, state);
  if (!decision.ok) {
    if (step) throw disagreement('(a) an available step is refused', state, command.metadata.now, step, decision);
    throw new Error(`${command.type} refused: ${JSON.stringify(decision.rejection)}`);
  }
  return decision.events.reduce(evolve, state);
};

/** The clock moved on: minutes to weeks, or into the window of a step that waits for one. */
const advance = (g: Gen, state: CourseState, now: string): string => {
  const steps = availableSteps(state, now);
  const waiting = [...steps.available, ...steps.blocked].filter((s) => s.earliest && isBefore(now, s.earliest));
  if (waiting.length > 0 && !oneIn(g, 3)) {
    const step = pick(g, waiting);
    const span = step.latest ? Math.max(0, minutesBetween(step.earliest!, step.latest)) : 60;
    return addMinutes(step.earliest!, g(fc.integer, { min: 0, max: Math.floor(span) }));
  }
  // Mostly minutes and hours (a dosing visit's windows), sometimes days and weeks (between visits).
  const unit = pick(g, ['minute', 'minute', 'minute', 'hour', 'hour', 'hour', 'day', 'day', 'week'] as const);
  return addMinutes(now, g(fc.integer, { min: 1, max: unit === 'minute' ? 59 : unit === 'hour' ? 23 : unit === 'day' ? 6 : 4 }) * MINUTES_PER[unit]);
};

/**
 * What is never a step of the list but happens: an adverse event (suspected serious: a hold), a hold placed,
 * a scheduled visit missed, a vital-signs reading corrected.
 */
const incident = (g: Gen, def: ProtocolDefinition, state: CourseState, now: string): CourseState => {
  const by = (type: CourseCommandType) => pick(g, def.permissions[type]!);
  const signed = (type: CourseCommandType) => (def.signatures[type] ? { signature: { meaning: def.signatures[type] } } : {});
  const missed = state.sessions.find((s) => s.status === 'scheduled' && s.scheduledFor && !isBefore(now, s.scheduledFor));
  const reading = state.vitals.length > 0 ? pick(g, state.vitals) : undefined;
  switch (g(fc.integer, { min: 1, max: 4 })) {
    case 1:
      return apply(state, commandOf('ReportAdverseEvent', { description: 'Headache', onsetAt: now, seriousSuspected: oneIn(g, 3) }, by('ReportAdverseEvent'), now));
    case 2:
      if (missed) return apply(state, commandOf('MarkSessionMissed', { sessionKey: missed.key, reason: 'Patient unwell' }, by('MarkSessionMissed'), now));
      break;
    case 3:
      if (reading) {
        const values = { systolic: g(fc.integer, { min: 90, max: 170 }), heartRate: g(fc.integer, { min: 50, max: 120 }) };
        return apply(state, commandOf('CorrectEvent', { eventVersion: reading.version, reason: 'Transcription error', values, ...signed('CorrectEvent') }, by('CorrectEvent'), now));
      }
      break;
  }
  return apply(state, commandOf('PlaceSafetyHold', { reason: 'Cardiology review pending' }, by('PlaceSafetyHold'), now));
};

/** The course workflow's due-date notices owed by `now`, as its timers would record them. */
const notices = (state: CourseState, now: string): CourseState => {
  for (let i = 0; i < 20; i++) {
    const owed = pendingNotices(state, now).find((n) => !isBefore(now, n.fireAt));
    if (!owed) break;
    const command = {
      type: 'RecordDueDateNotice',
      data: { notice: owed.notice, dueKey: owed.due.key, dueAt: owed.due.dueAt },
      metadata: { actor: systemActor(), now, correlationId: 'corr-timer' },
    } as CourseCommand;
    state = apply(state, command);
  }
  return state;
};

const MAX_ACTIONS = 60;

/** One random course: a prefix of a scripted course, then random steps, checking every state reached. */
const randomCourse = (g: Gen, script: CourseCommand[]): void => {
  // From just after StartCourse to just before the script's CompleteCourse, so the course is open; a third of
  // the courses start just after a dose, where a dosing visit's windows are (supplement, readings, discharge).
  const doses = script.flatMap((c, i) => (c.type === 'AdministerDose' ? [i + 1] : []));
  const cut = oneIn(g, 3) ? pick(g, doses) : g(fc.integer, { min: 1, max: script.length - 1 });
  let state = script.slice(0, cut).reduce((s, c) => apply(s, c), initialState());
  // The script's entry times are not in order everywhere (an assessment entered with an earlier time): start after all.
  let now = script.slice(0, cut).reduce((latest, c) => (isBefore(latest, c.metadata.now) ? c.metadata.now : latest), script[0]!.metadata.now);
  const def = findProtocol(state.protocol!.id, state.protocol!.version)!;
  for (let i = 0; i < MAX_ACTIONS && !isCourseClosed(state); i++) {
    checkSteps(g, def, state, now);
    const action = g(fc.integer, { min: 1, max: 100 });
    const available = availableSteps(state, now).available;
    if (action <= 60 && available.length > 0) {
      const step = pick(g, available);
      state = apply(state, commandFor(g, def, state, step, now), step);
    } else if (action <= 94) {
      now = advance(g, state, now);
    } else if (action <= 97) {
      state = incident(g, def, state, now);
    } else {
      state = notices(state, now);
    }
  }
  if (!isCourseClosed(state)) checkSteps(g, def, state, now);
};

describe('available steps and decide use one set of rules', () => {
  it.each([
    ['mdma-at-ptsd (newest version)', mdmaCompleteCourse],
    ['esketamine-monitored', esketamineCompleteCourse],
  ])('%s: available steps are accepted, blocked ones refused with their reason, windows as named', (_, script) => {
    const commands = script();
    fc.assert(
      // A course is long: shrink a counterexample a little (the failure names the step, state and decision anyway).
      fc.property(fc.limitShrink(fc.gen(), 40), (g) => randomCourse(g, commands)),
      { numRuns: 100 },
    );
  });
});
