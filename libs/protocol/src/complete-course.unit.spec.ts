import { availableSteps } from './available-steps';
import {
  at,
  cmd,
  eventsOf,
  esketamineCompleteCourse,
  given,
  mdmaCompleteCourse,
  mdmaDosingStart,
  mdmaPrepared,
  signed,
} from './testing/course.fixtures';
import { decide } from './decide';

describe('complete courses', () => {
  it('drives an MDMA-AT course from start to completion', () => {
    const state = given(...mdmaCompleteCourse());
    expect(state).toMatchObject({ status: 'completed', phase: 'closed', closedReason: 'completed' });
    expect(state.sessions).toHaveLength(15);
    expect(state.sessions.every((s) => s.status === 'completed')).toBe(true);
    const doses = state.sessions.filter((s) => s.dosing).map((s) => [s.dosing!.initialDose!.amountMg, s.dosing!.supplemental]);
    expect(doses).toEqual([
      [80, { outcome: 'given', amountMg: 40, at: at(28, '10:30') }],
      [120, { outcome: 'given', amountMg: 60, at: at(56, '10:30') }],
      [120, { outcome: 'given', amountMg: 60, at: at(84, '10:30') }],
    ]);
    const events = eventsOf(...mdmaCompleteCourse());
    expect(events.at(-1)).toMatchObject({
      type: 'CourseCompleted',
      data: { missedAssessments: [], signature: { signerId: 'u-physician', printedName: 'Test physician', meaning: 'responsibility' } },
    });
    expect(availableSteps(state, at(130))).toEqual({ available: [], blocked: [], due: [] });
  });

  it('drives a monitored esketamine course from start to completion with the same engine', () => {
    const state = given(...esketamineCompleteCourse());
    expect(state).toMatchObject({ status: 'completed', protocol: { id: 'esketamine-monitored', version: 1 } });
    expect(state.sessions.map((s) => s.dosing?.monitoringForm?.late)).toEqual([false, false, false, false]);
    const discharged = eventsOf(...esketamineCompleteCourse()).filter((e) => e.type === 'PatientDischarged');
    expect(discharged.map((e) => e.data)).toEqual(
      Array(4).fill(expect.objectContaining({ minutesMonitored: 125, escortRef: 'ESC-2', overnightStay: null })),
    );
  });

  it('withdraws a course mid-treatment and refuses anything after it', () => {
    const state = given(
      ...mdmaPrepared(),
      ...mdmaDosingStart('dosing-1', 28, 80),
      cmd('WithdrawCourse', { reason: 'participant_decision', ...signed('responsibility') }, 'physician', at(28, '09:00')),
    );
    expect(state).toMatchObject({ status: 'withdrawn', phase: 'closed', closedReason: 'withdrawn' });
    const after = decide(cmd('RecordVitals', { sessionKey: 'dosing-1', timing: 'post_dose', systolic: 120, diastolic: 80, heartRate: 70 }, 'therapist', at(28, '10:00')), state);
    expect(after).toMatchObject({ ok: false, rejection: { code: 'COURSE_CLOSED' } });
  });

  it('holds dosing after a serious adverse event until a physician clears the hold', () => {
    const reported = given(
      ...mdmaPrepared(),
      cmd('ReportAdverseEvent', { description: 'Chest pain', onsetAt: at(22), seriousSuspected: true }, 'therapist', at(22, '10:00')),
    );
    expect(reported.status).toBe('on_hold');
    const hold = reported.holds[0]!;
    expect(hold).toMatchObject({ adverseEventRef: reported.version - 1, clearedAt: null });
    const startDosing = cmd('StartSession', { sessionKey: 'dosing-1' }, 'therapist', at(28, '08:00'));
    expect(decide(startDosing, reported)).toMatchObject({ ok: false, rejection: { code: 'SAFETY_HOLD' } });
    expect(availableSteps(reported, at(28)).blocked).toContainEqual(expect.objectContaining({ command: 'StartSession', reason: 'SAFETY_HOLD' }));

    const clear = cmd('ClearSafetyHold', { holdRef: hold.ref, reason: 'Cardiology review normal', ...signed('approval') }, 'physician', at(25));
    expect(decide({ ...clear, metadata: { ...clear.metadata, actor: { ...clear.metadata.actor, role: 'therapist' } } }, reported)).toMatchObject({
      ok: false,
      rejection: { code: 'ROLE_NOT_PERMITTED' },
    });
    const cleared = given(
      ...mdmaPrepared(),
      cmd('ReportAdverseEvent', { description: 'Chest pain', onsetAt: at(22), seriousSuspected: true }, 'therapist', at(22, '10:00')),
      cmd('ClassifyAdverseEvent', { adverseEventRef: hold.adverseEventRef!, serious: true, aesiCategory: 'cardiac', causality: 'unlikely', severity: 'moderate', ...signed('review') }, 'physician', at(24)),
      clear,
    );
    expect(cleared.status).toBe('active');
    expect(cleared.holds).toHaveLength(1);
    expect(decide(startDosing, cleared)).toMatchObject({ ok: true });
  });
});
