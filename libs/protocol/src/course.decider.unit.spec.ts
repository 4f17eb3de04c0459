import { decide, evolve } from './course.decider';
import type { CourseCommand } from './command';
import { initialState, type CourseState } from './state';

const actor = { id: 'u-1', name: 'Casey Coordinator', role: 'coordinator' as const, siteId: 'site-a' };
const meta = { actor, now: '2026-01-05T09:00:00Z', correlationId: 'corr-1' };

const given = (...commands: CourseCommand[]): CourseState =>
  commands.reduce((state, command) => {
    const decision = decide(command, state);
    if (!decision.ok) throw new Error(`given: ${decision.rejection.code}`);
    return decision.events.reduce(evolve, state);
  }, initialState());

const start: CourseCommand = {
  type: 'StartCourse',
  data: { courseId: 'c-1', patientRef: 'P-001', siteId: 'site-a', protocolId: 'mdma-at-ptsd' },
  metadata: meta,
};
const consent: CourseCommand = {
  type: 'RecordInformedConsent',
  data: { consentFormVersion: 'v3', consentedAt: '2026-01-05T08:30:00Z' },
  metadata: meta,
};

describe('course decider (skeleton)', () => {
  it('starts a course and pins the protocol version', () => {
    const decision = decide(start, initialState());
    expect(decision).toMatchObject({ ok: true, events: [{ type: 'CourseStarted', data: { protocolVersion: 1 } }] });
  });

  it('refuses the emergency contact before consent', () => {
    const decision = decide({ type: 'RecordEmergencyContact', data: { contactRef: 'EC-1' }, metadata: meta }, given(start));
    expect(decision).toMatchObject({ ok: false, rejection: { code: 'STEP_OUT_OF_ORDER' } });
  });

  it('hides a course from another site', () => {
    const other = { ...meta, actor: { ...actor, siteId: 'site-b' } };
    expect(decide({ ...consent, metadata: other }, given(start))).toMatchObject({
      ok: false,
      rejection: { code: 'COURSE_NOT_FOUND' },
    });
  });

  it('refuses a stale expected version', () => {
    const decision = decide({ ...consent, metadata: { ...meta, expectedVersion: 0 } }, given(start));
    expect(decision).toMatchObject({ ok: false, rejection: { code: 'VERSION_CONFLICT', details: { currentVersion: 1 } } });
  });
});
