import { availableSteps } from './available-steps';
import { decide } from './decide';
import { pendingNotices } from './due-notices';
import { apply, at, cmd, determineEligible, given, mdmaPrepared, mdmaScreening, notice, rejectionOf } from './testing/course.fixtures';

/** Given/when/then for the notices the course workflow records when its timers fire. */
describe('due-date notices', () => {
  const eligible = () => given(...mdmaScreening(), determineEligible());

  it('owes a reminder a day before, then the overdue notice, then an escalation a day later', () => {
    const state = given(...mdmaPrepared(), cmd('ScheduleSession', { sessionKey: 'dosing-1', scheduledFor: at(28, '08:00') }, 'coordinator', at(22)));
    const scheduled = pendingNotices(state, at(22)).filter((n) => n.due.label.startsWith('Scheduled start'));
    expect(scheduled.map((n) => [n.notice, n.fireAt])).toEqual([
      ['reminder', at(27, '08:00')],
      ['overdue', at(28, '08:00')],
    ]);
    const due = scheduled[0]!.due;
    const reminded = apply(state, notice('reminder', due.key, due.dueAt, at(27, '08:00')));
    const overdue = apply(reminded, notice('overdue', due.key, due.dueAt, at(28, '08:00')));
    expect(pendingNotices(overdue, at(28, '08:01')).find((n) => n.due.key === due.key)).toMatchObject({ notice: 'escalation', fireAt: at(29, '08:00') });
    const escalated = decide(notice('escalation', due.key, due.dueAt, at(29, '08:00')), overdue);
    expect(escalated).toMatchObject({ ok: true, events: [{ type: 'DueDateEscalated', data: { dueKey: due.key, sessionKey: 'dosing-1' } }] });
  });

  it('refuses a notice before its time, twice, or about a due date the course does not have', () => {
    const state = given(...mdmaPrepared(), cmd('ScheduleSession', { sessionKey: 'dosing-1', scheduledFor: at(28, '08:00') }, 'coordinator', at(22)));
    const due = availableSteps(state, at(22)).due.find((d) => d.label.startsWith('Scheduled start'))!;
    expect(rejectionOf(decide(notice('overdue', due.key, due.dueAt, at(27)), state))).toBe('STEP_OUT_OF_ORDER');
    const once = apply(state, notice('overdue', due.key, due.dueAt, at(28, '09:00')));
    expect(rejectionOf(decide(notice('overdue', due.key, due.dueAt, at(28, '10:00')), once))).toBe('STEP_ALREADY_RECORDED');
    expect(rejectionOf(decide(notice('overdue', 'StartSession|x|made up|2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', at(28)), state))).toBe(
      'STEP_UNKNOWN',
    );
  });

  it('refuses notices from anyone but the workflow', () => {
    const state = eligible();
    const due = availableSteps(state, at(1)).due.find((d) => d.expiresEligibility)!;
    const fromStaff = { ...notice('overdue', due.key, due.dueAt, at(60)), metadata: { ...notice('overdue', due.key, due.dueAt, at(60)).metadata, actor: { id: 'u', name: 'U', role: 'physician' as const, siteId: 'site-a' } } };
    expect(rejectionOf(decide(fromStaff, state))).toBe('ROLE_NOT_PERMITTED');
  });

  it('lets eligibility lapse when the first dosing visit has not started in time, and asks for a new determination', () => {
    const state = eligible();
    const lapse = availableSteps(state, at(1)).due.find((d) => d.expiresEligibility)!;
    expect(lapse.dueAt).toBe(at(56, '13:00'));
    const decision = decide(notice('overdue', lapse.key, lapse.dueAt, at(56, '13:00')), state);
    expect(decision).toMatchObject({ ok: true, events: [{ type: 'DueDatePassed' }, { type: 'EligibilityExpired' }] });
    const lapsed = apply(state, notice('overdue', lapse.key, lapse.dueAt, at(56, '13:00')));
    expect(lapsed.screening.eligibility).toBeNull();
    expect(lapsed.phase).toBe('screening');
    expect(availableSteps(lapsed, at(57)).available.map((s) => s.command)).toContain('DetermineEligibility');
    // ... and no dosing visit can start until eligibility is determined again.
    expect(rejectionOf(decide(cmd('StartSession', { sessionKey: 'prep-1' }, 'therapist', at(57)), lapsed))).toBeDefined();
  });

  it('owes no eligibility lapse once the first dosing visit has started', () => {
    const started = given(...mdmaPrepared(), cmd('StartSession', { sessionKey: 'dosing-1' }, 'therapist', at(28, '08:00')));
    expect(availableSteps(started, at(28, '09:00')).due.some((d) => d.expiresEligibility)).toBe(false);
  });

  it('skips reminders for windows measured in minutes and for readings the dosing session watches', () => {
    const dosed = given(
      ...mdmaPrepared(),
      cmd('StartSession', { sessionKey: 'dosing-1' }, 'therapist', at(28, '08:00')),
      cmd('RecordVitals', { sessionKey: 'dosing-1', timing: 'pre_dose', systolic: 120, diastolic: 80, heartRate: 70 }, 'therapist', at(28, '08:05')),
      cmd('RecordPreDoseChecks', { sessionKey: 'dosing-1', fasting: true, pregnancyTest: 'negative' }, 'therapist', at(28, '08:10')),
      cmd('RecordAssessment', { instrument: 'C-SSRS', timepoint: 'dosing-1', values: { suicidalIdeation: false, suicidalBehavior: false } }, 'therapist', at(28, '08:15')),
      cmd('AdministerDose', { sessionKey: 'dosing-1', amountMg: 80, signature: { meaning: 'responsibility' } }, 'physician', at(28, '08:30')),
    );
    const owed = pendingNotices(dosed, at(28, '08:31'));
    const supplemental = owed.filter((n) => n.due.command === 'AdministerSupplementalDose');
    expect(supplemental.map((n) => n.notice)).toEqual(['overdue']);
    expect(owed.some((n) => n.due.command === 'RecordVitals')).toBe(false);
  });

  it('owes nothing on a closed course', () => {
    const withdrawn = apply(eligible(), cmd('WithdrawCourse', { reason: 'participant_decision', signature: { meaning: 'responsibility' } }, 'physician', at(2)));
    expect(pendingNotices(withdrawn, at(3))).toEqual([]);
  });
});
