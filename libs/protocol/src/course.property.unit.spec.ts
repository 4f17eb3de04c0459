import fc from 'fast-check';
import { STAFF_ROLES } from './actor';
import type { CourseCommand } from './command';
import { decide } from './decide';
import { evolve } from './evolve';
import { EVENT_TYPES, type CourseEvent } from './event';
import { activeHolds, initialState, type CourseState } from './state';
import {
  at,
  caps5,
  cmd,
  cssrs,
  esketamineCompleteCourse,
  mdmaCompleteCourse,
  mdmaDosing,
  mdmaPrepared,
  eventsOf,
  monitoringForm,
  signed,
  vitals,
} from './testing/course.fixtures';
import { upcastEvent } from './upcast';
import { availableSteps } from './available-steps';
import { determineEligible, mdmaScreening, notice } from './testing/course.fixtures';

/** Events of every notice kind: reminder, overdue, escalation, and a lapsed eligibility. */
const noticeEvents = (): CourseEvent[] => {
  const eligible = mdmaScreening().concat(determineEligible());
  const { state } = run(eligible);
  const lapse = availableSteps(state, at(1)).due.find((d) => d.expiresEligibility)!;
  const scheduled = [...eligible, cmd('ScheduleSession', { sessionKey: 'prep-1', scheduledFor: at(7) }, 'coordinator', at(1))];
  const due = availableSteps(run(scheduled).state, at(2)).due.find((d) => d.label.startsWith('Scheduled start'))!;
  return [
    ...eventsOf(...scheduled, notice('reminder', due.key, due.dueAt, at(6)), notice('overdue', due.key, due.dueAt, at(7)), notice('escalation', due.key, due.dueAt, at(8))),
    ...eventsOf(...eligible, notice('overdue', lapse.key, lapse.dueAt, lapse.dueAt)),
  ];
};

// ---------------------------------------------------------------- generators

const SESSION_KEYS = ['prep-1', 'prep-2', 'dosing-1', 'dosing-2', 'integration-1.1', 'treatment-1', 'treatment-2', 'nowhere'];
const MEANINGS = ['approval', 'review', 'responsibility', 'authorship'];

const timeArb = fc.tuple(fc.integer({ min: 0, max: 140 }), fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 15, 30, 45)).map(
  ([d, h, m]) => at(d, `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`),
);
const keyArb = fc.constantFrom(...SESSION_KEYS);
const sigArb = fc.option(fc.constantFrom(...MEANINGS).map(signed), { nil: undefined }).map((s) => s ?? {});

/** Random but well-formed commands of every kind, by any role, at any time. */
const noiseArb: fc.Arbitrary<CourseCommand> = fc
  .tuple(fc.integer({ min: 0, max: 19 }), keyArb, timeArb, fc.constantFrom(...STAFF_ROLES), sigArb, fc.integer({ min: 1, max: 80 }), fc.boolean(), fc.integer({ min: 60, max: 200 }))
  .map(([kind, key, now, role, sig, n, flag, bp]): CourseCommand => {
    switch (kind) {
      case 0: return cmd('ScheduleSession', { sessionKey: key, scheduledFor: now, ...sig }, role, now);
      case 1: return cmd('StartSession', { sessionKey: key, ...sig }, role, now);
      case 2: return cmd('CompleteSession', { sessionKey: key, ...sig }, role, now);
      case 3: return cmd('CancelSession', { sessionKey: key, reason: 'random', ...sig }, role, now);
      case 4: return cmd('MarkSessionMissed', { sessionKey: key, reason: 'random', ...sig }, role, now);
      case 5: return vitals(key, flag ? 'pre_dose' : 'post_dose', now, [bp, Math.round(bp * 0.6)], bp - 20);
      case 6: return cmd('AdministerDose', { sessionKey: key, amountMg: flag ? 80 : 120, ...sig }, role, now);
      case 7: return cmd('AdministerSupplementalDose', { sessionKey: key, amountMg: flag ? 40 : 60, ...sig }, role, now);
      case 8: return cmd('WithholdSupplementalDose', { sessionKey: key, reason: 'random', ...sig }, role, now);
      case 9: return cmd('DischargePatient', { sessionKey: key, criteriaMet: flag, escortRef: 'E', overnightStay: true, ...sig }, role, now);
      case 10: return cmd('ReportAdverseEvent', { description: 'random', onsetAt: at(0), seriousSuspected: flag, ...sig }, role, now);
      case 11: return cmd('ClassifyAdverseEvent', { adverseEventRef: n, serious: flag, causality: 'possible', severity: 'mild', ...sig }, role, now);
      case 12: return cmd('PlaceSafetyHold', { reason: 'random', ...sig }, role, now);
      case 13: return cmd('ClearSafetyHold', { holdRef: n, reason: 'random', ...sig }, role, now);
      case 14: return cmd('CorrectEvent', { eventVersion: n, reason: 'random', values: { total: n, systolic: bp }, ...sig }, role, now);
      case 15: return cmd('WithdrawCourse', { reason: 'other', ...sig }, role, now);
      case 16: return caps5(flag ? 'baseline' : 'caps5-after-dosing-2', n, now);
      case 17: return cssrs(key, now);
      case 18: return cmd('RecordPreDoseChecks', { sessionKey: key, fasting: flag, pregnancyTest: 'negative', ...sig }, role, now);
      default: return cmd('CompleteCourse', sig, role, now);
    }
  });

const scripts = [mdmaCompleteCourse(), esketamineCompleteCourse()];

/** A valid script prefix (to reach deep states) interleaved with random commands. */
const sequenceArb: fc.Arbitrary<CourseCommand[]> = fc
  .tuple(fc.constantFrom(0, 1), fc.nat({ max: 200 }), fc.array(fc.tuple(fc.nat(), noiseArb), { maxLength: 25 }))
  .map(([which, cut, noise]) => {
    const script = scripts[which]!;
    const sequence = script.slice(0, Math.min(cut, script.length));
    for (const [position, command] of noise) sequence.splice(position % (sequence.length + 1), 0, command);
    return sequence;
  });

// ---------------------------------------------------------------- invariants

/** Things that must hold in every reachable state; returns the violations. */
const violations = (state: CourseState): string[] => {
  const out: string[] = [];
  if (state.version !== state.eventTypes.length) out.push('version differs from the number of events');
  const closed = state.status === 'withdrawn' || state.status === 'completed';
  if (closed !== (state.phase === 'closed')) out.push('closed status and phase disagree');
  if (closed !== (state.closedAt !== null)) out.push('closedAt disagrees with status');
  if (!closed && state.status !== 'not_started' && (state.status === 'on_hold') !== activeHolds(state).length > 0) out.push('on_hold disagrees with holds');
  if (state.sessions.filter((s) => s.status === 'in_progress').length > 1) out.push('two visits in progress');
  for (const s of state.sessions) {
    if ((s.status === 'in_progress' || s.status === 'completed') && state.screening.eligibility !== 'eligible') out.push(`${s.key} started without eligibility`);
    if (s.dosing?.initialDose && s.status !== 'in_progress' && s.status !== 'completed') out.push(`${s.key} dosed but not started`);
    if (s.dosing?.supplemental?.outcome === 'given' && s.dosing.supplemental.amountMg !== s.dosing.initialDose!.amountMg / 2) out.push(`${s.key} supplement not half`);
    if (s.status === 'completed' && s.dosing?.initialDose && !s.dosing.discharge) out.push(`${s.key} completed without discharge`);
  }
  if (state.status === 'completed' && state.sessions.some((s) => s.status !== 'completed')) out.push('completed with open visits');
  if (JSON.stringify(JSON.parse(JSON.stringify(state))) !== JSON.stringify(state)) out.push('state is not plain JSON');
  return out;
};

type Run = { state: CourseState; events: CourseEvent[]; problems: string[] };

/** Runs a sequence, checking per step that refusals emit nothing and leave the state untouched. */
const run = (commands: CourseCommand[]): Run => {
  let state = initialState();
  const events: CourseEvent[] = [];
  const problems: string[] = [];
  for (const command of commands) {
    const before = JSON.stringify(state);
    const decision = decide(command, state);
    if (JSON.stringify(state) !== before) problems.push(`${command.type} mutated the state`);
    if (!decision.ok) {
      if ('events' in decision) problems.push(`${command.type} refused but emitted events`);
      continue;
    }
    if (decision.events.some((e) => e.type === 'DoseAdministered' || e.type === 'SupplementalDoseAdministered') && activeHolds(state).length > 0) {
      problems.push('a dose was given under a safety hold');
    }
    events.push(...decision.events);
    state = decision.events.reduce(evolve, state);
    problems.push(...violations(state));
  }
  return { state, events, problems };
};

// ---------------------------------------------------------------- properties

describe('decider properties', () => {
  it('never reaches an invalid state, and a refused command emits nothing', () => {
    fc.assert(
      fc.property(sequenceArb, (commands) => {
        expect(run(commands).problems).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('folding the emitted events reproduces the state, also after a JSON round trip and upcasting', () => {
    fc.assert(
      fc.property(sequenceArb, (commands) => {
        const { state, events } = run(commands);
        expect(events.reduce(evolve, initialState())).toEqual(state);
        const stored = JSON.parse(JSON.stringify(events)) as CourseEvent[];
        expect(stored.map(upcastEvent).reduce(evolve, initialState())).toEqual(state);
      }),
      { numRuns: 200 },
    );
  });

  it('every event type round-trips through JSON', () => {
    const extra: CourseCommand[] = [
      cmd('PlaceSafetyHold', { reason: 'Review' }, 'physician', at(22)),
      cmd('ClearSafetyHold', { holdRef: 0, reason: 'Reviewed', ...signed('approval') }, 'physician', at(22)),
    ];
    const { events: mdma } = run(mdmaCompleteCourse());
    const { events: esk } = run(esketamineCompleteCourse());
    const prefix = mdmaPrepared();
    const { state: mid } = run(prefix);
    const holdRef = mid.version + 5; // after schedule, missed, schedule, cancelled
    const more = eventsOf(
      ...prefix,
      cmd('ScheduleSession', { sessionKey: 'dosing-1', scheduledFor: at(28) }, 'coordinator', at(22)),
      cmd('MarkSessionMissed', { sessionKey: 'dosing-1', reason: 'Unwell' }, 'coordinator', at(28, '12:00')),
      cmd('ScheduleSession', { sessionKey: 'dosing-1', scheduledFor: at(29) }, 'coordinator', at(28, '12:30')),
      cmd('CancelSession', { sessionKey: 'dosing-1', reason: 'Room unavailable' }, 'coordinator', at(28, '13:00')),
      extra[0]!,
      { ...extra[1]!, data: { holdRef, reason: 'Reviewed', ...signed('approval') } } as CourseCommand,
      ...mdmaDosing('dosing-1', 30, 80).slice(0, 5),
      vitals('dosing-1', 'post_dose', at(30, '10:00'), [170, 100], 120),
      cmd('WithholdSupplementalDose', { sessionKey: 'dosing-1', reason: 'Blood pressure' }, 'physician', at(30, '10:30')),
      cmd('RaiseAlert', { sessionKey: 'dosing-1', reason: 'Agitation' }, 'therapist', at(30, '11:00')),
      cmd('ReportAdverseEvent', { description: 'Euphoria', onsetAt: at(30, '09:30') }, 'therapist', at(30, '11:00')),
      cmd('ClassifyAdverseEvent', { adverseEventRef: holdRef + 11, serious: false, causality: 'probable', severity: 'mild', ...signed('review') }, 'physician', at(30, '12:00')),
      cmd('CorrectEvent', { eventVersion: holdRef + 3, reason: 'Typo', values: { heartRate: 119 }, ...signed('authorship') }, 'therapist', at(30, '12:00')),
      cmd('WithdrawCourse', { reason: 'participant_decision', ...signed('responsibility') }, 'physician', at(30, '18:00')),
    );
    const all = [...mdma, ...esk, ...more, ...run([...esketamineCompleteCourse().slice(0, 7), monitoringForm('treatment-1', at(1))]).events, ...noticeEvents()];
    const types = new Set(all.map((e) => e.type));
    expect(EVENT_TYPES.filter((t) => !types.has(t))).toEqual([]);
    for (const event of all) {
      const copy = JSON.parse(JSON.stringify(event));
      expect(copy).toEqual(event);
      expect(upcastEvent(copy)).toEqual(event);
    }
  });
});
