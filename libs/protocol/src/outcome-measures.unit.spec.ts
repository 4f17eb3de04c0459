import type { CourseCommand } from './command';
import {
  accepted,
  apply,
  at,
  bdi2,
  caps5,
  cmd,
  consent,
  cssrs,
  determineEligible,
  given,
  givenOn,
  MDMA,
  mdmaCompleteCourse,
  mdmaCourseToEndpoint,
  mdmaDosing,
  mdmaPrepared,
  mdmaScreening,
  pcl5,
  refused,
  signed,
  simpleVisit,
  start,
} from './testing/course.fixtures';

/**
 * mdma-at-ptsd v3: BDI-II at baseline and the primary endpoint, the optional patient-reported PCL-5
 * (e-PRO integration or staff) and the long-term follow-up CAPS-5 at least 6 months after the last dose.
 */


const complete = (day: number) => cmd('CompleteCourse', signed('responsibility'), 'physician', at(day));
const consented = given(start(MDMA), consent());
const eligible = given(...mdmaScreening(), determineEligible());
const toEndpoint = given(...mdmaCourseToEndpoint());

/** The v1/v2 course script up to the primary endpoint, without it (no BDI-II). */
const v2CourseWithoutEndpoint = (): CourseCommand[] => {
  const cycle = (k: number, day: number, mg: number) => [
    ...mdmaDosing(`dosing-${k}`, day, mg),
    ...simpleVisit(`integration-${k}.1`, day + 1),
    ...simpleVisit(`integration-${k}.2`, day + 8),
    ...simpleVisit(`integration-${k}.3`, day + 15),
  ];
  return [...mdmaPrepared(), ...cycle(1, 28, 80), ...cycle(2, 56, 120), caps5('caps5-after-dosing-2', 30, at(60)), ...cycle(3, 84, 120), caps5('caps5-after-dosing-3', 22, at(88))];
};

describe('BDI-II', () => {
  it('records totals from 0 to 63 only', () => {
    expect(refused(consented, bdi2('baseline', 64, at(0)), 'OUTCOME_INVALID')?.details).toEqual({ problems: [{ field: 'total', problem: 'must be at most 63' }] });
    expect(refused(consented, bdi2('baseline', -1, at(0)), 'OUTCOME_INVALID')?.details).toEqual({ problems: [{ field: 'total', problem: 'must be at least 0' }] });
    refused(consented, bdi2('baseline', 12.5, at(0)), 'OUTCOME_INVALID');
    accepted(consented, bdi2('baseline', 0, at(0)));
    accepted(consented, bdi2('baseline', 63, at(0)));
  });

  it('is owed at the primary endpoint, inside its window (16-20 weeks after baseline), at its own point', () => {
    const beforeBdi = given(...mdmaCourseToEndpoint().slice(0, -1));
    refused(beforeBdi, bdi2('bdi2-endpoint', 12, at(105)), 'INTERVAL_NOT_MET');
    refused(beforeBdi, bdi2('bdi2-endpoint', 12, at(141)), 'WINDOW_CLOSED');
    // A required instrument still records only at its own point.
    refused(beforeBdi, bdi2('caps5-endpoint', 12, at(126)), 'OUTCOME_INVALID');
    accepted(beforeBdi, bdi2('bdi2-endpoint', 12, at(126, '10:00')));
  });
});

describe('PCL-5 (optional, patient-reported)', () => {
  it('records totals from 0 to 80 at baseline, from an e-PRO integration or from staff', () => {
    expect(refused(consented, pcl5('baseline', 81, at(0)), 'OUTCOME_INVALID')?.details).toEqual({ problems: [{ field: 'total', problem: 'must be at most 80' }] });
    refused(consented, pcl5('baseline', -1, at(0)), 'OUTCOME_INVALID');
    expect(accepted(consented, pcl5('baseline', 80, at(0)))).toMatchObject([
      { type: 'AssessmentRecorded', data: { instrument: 'PCL-5', timepoint: 'baseline', values: { total: 80 } }, metadata: { actor: { role: 'integration' } } },
    ]);
    accepted(consented, pcl5('baseline', 0, at(0), 'therapist'));
  });

  it('never stands in for the baseline CAPS-5 that decides eligibility', () => {
    const withoutCaps = mdmaScreening().filter((c) => c.type !== 'RecordAssessment');
    const pclOnly = given(...withoutCaps, pcl5('baseline', 60, at(0, '11:00')));
    expect(refused(pclOnly, determineEligible(), 'STEP_OUT_OF_ORDER')?.details).toEqual({ missing: ['baseline_assessment'] });
  });

  it('records once during a visit in progress, and the visit completes without it', () => {
    const inVisit = apply(eligible, cmd('StartSession', { sessionKey: 'prep-1' }, 'therapist', at(7)));
    refused(eligible, pcl5('prep-1', 44, at(7)), 'STEP_OUT_OF_ORDER');
    const recorded = apply(inVisit, pcl5('prep-1', 44, at(7, '09:10')));
    refused(recorded, pcl5('prep-1', 40, at(7, '09:20')), 'STEP_ALREADY_RECORDED');
    accepted(apply(inVisit, cssrs('prep-1', at(7, '09:30'))), cmd('CompleteSession', { sessionKey: 'prep-1' }, 'therapist', at(7, '10:30')));
  });

  it("records at an assessment point only alongside the point's own instrument, never instead of it", () => {
    const beforeCaps = given(...mdmaCourseToEndpoint().slice(0, -2));
    expect(refused(beforeCaps, pcl5('caps5-endpoint', 30, at(126)), 'STEP_OUT_OF_ORDER')?.details).toEqual({ missing: 'caps5-endpoint' });
    const withCaps = apply(beforeCaps, caps5('caps5-endpoint', 18, at(126)));
    const withPcl = apply(withCaps, pcl5('caps5-endpoint', 30, at(126, '09:30')));
    refused(withPcl, pcl5('caps5-endpoint', 31, at(126, '09:40')), 'STEP_ALREADY_RECORDED');
    // A PCL-5 before the CAPS-5 that must precede dosing-3 would have unblocked it; it is refused instead.
    const beforeThree = given(...v2CourseWithoutEndpoint().slice(0, v2CourseWithoutEndpoint().findIndex((c) => c.type === 'RecordAssessment' && c.data.timepoint === 'caps5-after-dosing-2')));
    refused(beforeThree, pcl5('caps5-after-dosing-2', 30, at(60)), 'STEP_OUT_OF_ORDER');
    refused(beforeThree, cmd('StartSession', { sessionKey: 'dosing-3' }, 'therapist', at(84, '08:00')), 'STEP_OUT_OF_ORDER');
  });

  it('refuses a time point the protocol does not have', () => {
    for (const timepoint of ['nowhere', 'pcl5-week-30', 'follow-up', 'long-term']) refused(toEndpoint, pcl5(timepoint, 30, at(130)), 'STEP_UNKNOWN');
  });

  it('never blocks completion, with or without PCL-5 on record', () => {
    const script = mdmaCompleteCourse();
    const withoutPcl = given(...script.slice(0, -1));
    expect(accepted(withoutPcl, complete(269))).toMatchObject([{ type: 'CourseCompleted', data: { missedAssessments: [] } }]);
    const [started, consentCommand, ...rest] = script.slice(0, -1);
    const withPcl = given(started!, consentCommand!, pcl5('baseline', 50, at(0, '08:15')), ...rest, pcl5('caps5-long-term-follow-up', 28, at(268, '10:00')));
    expect(withPcl.assessments.filter((a) => a.instrument === 'PCL-5')).toHaveLength(2);
    expect(accepted(withPcl, complete(269))).toMatchObject([{ type: 'CourseCompleted', data: { missedAssessments: [] } }]);
  });
});

describe('long-term follow-up CAPS-5', () => {
  it('opens 6 months after the last dosing session (INTERVAL_NOT_MET before) and can be recorded inside its window', () => {
    // dosing-3 started on day 84 at 08:00: the window runs from day 268 08:00 (184 days) to day 449 08:00 (365 days).
    refused(toEndpoint, caps5('caps5-long-term-follow-up', 16, at(126)), 'INTERVAL_NOT_MET');
    expect(refused(toEndpoint, caps5('caps5-long-term-follow-up', 16, at(268, '07:59')), 'INTERVAL_NOT_MET')?.details).toEqual({ earliest: at(268, '08:00') });
    accepted(toEndpoint, caps5('caps5-long-term-follow-up', 16, at(268, '08:00')));
    accepted(toEndpoint, caps5('caps5-long-term-follow-up', 16, at(449, '08:00')));
    refused(toEndpoint, caps5('caps5-long-term-follow-up', 16, at(449, '08:01')), 'WINDOW_CLOSED');
    // A PCL-5 alongside it follows the CAPS-5 and keeps to the window.
    const followedUp = apply(toEndpoint, caps5('caps5-long-term-follow-up', 16, at(268, '08:00')));
    refused(toEndpoint, pcl5('caps5-long-term-follow-up', 30, at(268)), 'STEP_OUT_OF_ORDER');
    accepted(followedUp, pcl5('caps5-long-term-follow-up', 30, at(268, '09:00')));
    refused(followedUp, pcl5('caps5-long-term-follow-up', 30, at(450)), 'WINDOW_CLOSED');
  });

  it('holds completion while its window is open and reports it missed once the window has closed', () => {
    expect(refused(toEndpoint, complete(200), 'STEP_OUT_OF_ORDER')?.details).toEqual({ missing: ['caps5-long-term-follow-up'] });
    expect(accepted(toEndpoint, complete(450))).toMatchObject([{ type: 'CourseCompleted', data: { missedAssessments: ['caps5-long-term-follow-up'] } }]);
  });
});

describe('courses started on v1 or v2 stay on their version', () => {
  it.each([1, 2])('v%i: no BDI-II, PCL-5 or long-term follow-up; completes at the endpoint as before', (version) => {
    const pinned = givenOn(version, start(MDMA), consent());
    expect(pinned.protocol).toEqual({ id: MDMA, version });
    refused(pinned, bdi2('baseline', 10, at(0)), 'STEP_UNKNOWN');
    refused(pinned, pcl5('baseline', 10, at(0)), 'STEP_UNKNOWN');
    const atEndpoint = givenOn(version, ...v2CourseWithoutEndpoint(), caps5('caps5-endpoint', 18, at(126)));
    refused(atEndpoint, caps5('caps5-long-term-follow-up', 16, at(268)), 'STEP_UNKNOWN');
    refused(atEndpoint, bdi2('bdi2-endpoint', 12, at(126)), 'STEP_UNKNOWN');
    expect(accepted(atEndpoint, complete(126))).toMatchObject([{ type: 'CourseCompleted', data: { missedAssessments: [] } }]);
  });
});
