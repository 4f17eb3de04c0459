import { esketamineMonitoredV1 } from './esketamine-monitored.v1';
import { mdmaAtPtsdV1 } from './mdma-at-ptsd.v1';
import { mdmaAtPtsdV2 } from './mdma-at-ptsd.v2';
import type { ProtocolDefinition } from './protocol-definition';
import { findProtocol, listProtocols } from './registry';
import { validateProtocolDefinition } from './validate-protocol';

const broken = (change: (def: ProtocolDefinition) => ProtocolDefinition) => validateProtocolDefinition(change(structuredClone(mdmaAtPtsdV1) as ProtocolDefinition));

describe('protocol definitions', () => {
  it('ships two valid protocols, found by id and pinned version', () => {
    expect(validateProtocolDefinition(mdmaAtPtsdV1)).toEqual([]);
    expect(validateProtocolDefinition(esketamineMonitoredV1)).toEqual([]);
    expect(validateProtocolDefinition(mdmaAtPtsdV2)).toEqual([]);
    expect(listProtocols().map((p) => `${p.id}@${p.version}`)).toEqual(['mdma-at-ptsd@1', 'mdma-at-ptsd@2', 'esketamine-monitored@1']);
    expect(findProtocol('mdma-at-ptsd')).toBe(mdmaAtPtsdV2);
    expect(findProtocol('mdma-at-ptsd', 1)).toBe(mdmaAtPtsdV1);
    expect(findProtocol('mdma-at-ptsd', 3)).toBeUndefined();
    // v2 changes only who may record three steps: integrations may record consent and book or cancel visits.
    const changed = Object.keys(mdmaAtPtsdV2.permissions).filter(
      (c) => JSON.stringify(mdmaAtPtsdV2.permissions[c as keyof typeof mdmaAtPtsdV2.permissions]) !== JSON.stringify(mdmaAtPtsdV1.permissions[c as keyof typeof mdmaAtPtsdV1.permissions]),
    );
    expect(changed.sort()).toEqual(['CancelSession', 'RecordInformedConsent', 'ScheduleSession']);
    expect({ ...mdmaAtPtsdV2, version: 1, permissions: mdmaAtPtsdV1.permissions }).toEqual(mdmaAtPtsdV1);
  });

  it('keeps the MDMA-AT structure of the definition: 3 preparatory, 3 dosing, 9 integration visits', () => {
    const kinds = mdmaAtPtsdV1.sessions.map((s) => s.kind);
    expect(kinds.filter((k) => k === 'preparatory')).toHaveLength(3);
    expect(kinds.filter((k) => k === 'dosing')).toHaveLength(3);
    expect(kinds.filter((k) => k === 'integration')).toHaveLength(9);
  });

  it.each<[string, (d: ProtocolDefinition) => ProtocolDefinition, string]>([
    ['a bad id', (d) => ({ ...d, id: 'MDMA AT' }), 'id "MDMA AT" must be kebab-case'],
    ['a bad version', (d) => ({ ...d, version: 0 }), 'version must be a positive whole number'],
    ['an empty title', (d) => ({ ...d, title: ' ' }), 'title must not be empty'],
    ['an unknown role', (d) => ({ ...d, permissions: { ...d.permissions, RecordVitals: ['nurse' as never] } }), 'permissions.RecordVitals: unknown role "nurse"'],
    ['no starter', (d) => ({ ...d, permissions: { ...d.permissions, StartCourse: [] } }), 'permissions.StartCourse: some role must be allowed to start a course'],
    ['a non-physician clearing holds', (d) => ({ ...d, permissions: { ...d.permissions, ClearSafetyHold: ['physician', 'therapist'] } }), 'permissions.ClearSafetyHold: only a physician may clear a safety hold'],
    ['a signed start', (d) => ({ ...d, signatures: { ...d.signatures, StartCourse: 'approval' } }), 'signatures.StartCourse: starting a course cannot require a signature'],
    ['an unknown meaning', (d) => ({ ...d, signatures: { ...d.signatures, CompleteCourse: 'vibes' as never } }), 'signatures.CompleteCourse: unknown meaning "vibes"'],
    ['a duplicate instrument', (d) => ({ ...d, instruments: [...d.instruments, d.instruments[0]!] }), 'instruments: "CAPS-5" is defined twice'],
    ['an empty instrument', (d) => ({ ...d, instruments: [...d.instruments, { id: 'X', title: 'X', fields: [] }] }), 'instruments.X: records no field'],
    ['a bad field', (d) => ({ ...d, instruments: [...d.instruments, { id: 'X', title: 'X', fields: [{ name: 'a', label: 'a', type: 'integer', min: 5, max: 1, required: true }, { name: 'a', label: 'a', type: 'enum', required: true }, { name: 'b', label: 'b', type: 'text', min: 1, required: true }] }] }), 'instruments.X: field "a" has min above max'],
    ['a duplicate criterion', (d) => ({ ...d, screening: { ...d.screening, criteria: [...d.screening.criteria, d.screening.criteria[0]!] } }), 'screening.criteria: "age-18-or-over" is defined twice'],
    ['an unknown screening step', (d) => ({ ...d, screening: { ...d.screening, required: ['astrology' as never] } }), 'screening.required: unknown step "astrology"'],
    ['a baseline on an unknown instrument', (d) => ({ ...d, screening: { ...d.screening, baseline: { instrument: 'PHQ-9', field: 'total', minimum: 1 } } }), 'screening.baseline: unknown instrument "PHQ-9"'],
    ['a baseline on a non-numeric field', (d) => ({ ...d, screening: { ...d.screening, baseline: { instrument: 'CAPS-5', field: 'raterRef', minimum: 1 } } }), 'screening.baseline: "raterRef" is not a numeric field of CAPS-5'],
    ['a duplicate session', (d) => ({ ...d, sessions: [...d.sessions, d.sessions[0]!] }), 'sessions: "prep-1" is defined twice'],
    ['a session after a later one', (d) => ({ ...d, sessions: d.sessions.map((s, i) => (i === 0 ? { ...s, after: 'dosing-1' } : s)) }), 'sessions.prep-1: "after" must name an earlier session, not "dosing-1"'],
    ['an inverted interval', (d) => ({ ...d, sessions: d.sessions.map((s) => (s.key === 'dosing-2' ? { ...s, interval: { from: 'dosing-1', minHours: 10, maxHours: 5 } } : s)) }), 'sessions.dosing-2: interval maximum is below its minimum'],
    ['an unknown gate', (d) => ({ ...d, sessions: d.sessions.map((s, i) => (i === 0 ? { ...s, gates: ['moon_phase' as never] } : s)) }), 'sessions.prep-1: unknown gate "moon_phase"'],
    ['an ungated dosing visit', (d) => ({ ...d, sessions: d.sessions.map((s) => (s.key === 'dosing-1' ? { ...s, gates: ['eligible'] } : s)) }), 'sessions.dosing-1: a dosing session must be gated by "no_safety_hold"'],
    ['an unknown session assessment', (d) => ({ ...d, sessions: d.sessions.map((s, i) => (i === 0 ? { ...s, requiredAssessments: ['PHQ-9'] } : s)) }), 'sessions.prep-1: unknown instrument "PHQ-9"'],
    ['a bad supplement ratio', (d) => ({ ...d, dosing: { ...d.dosing, supplemental: { ...d.dosing.supplemental!, ratio: 2 } } }), 'dosing.supplemental.ratio must be above 0 and at most 1'],
    ['no monitoring time', (d) => ({ ...d, dosing: { ...d.dosing, minimumMonitoringMinutes: 0 } }), 'dosing.minimumMonitoringMinutes must be positive'],
    ['a negative dose', (d) => ({ ...d, dosing: { ...d.dosing, initialDoseOptions: [-80] } }), 'dosing.initialDoseOptions: every dose must be positive'],
    ['an inverted dose range', (d) => ({ ...d, dosing: { ...d.dosing, initialDoseRange: { min: 9, max: 1 } } }), 'dosing.initialDoseRange: min is above max'],
    ['a bad post-dose reading', (d) => ({ ...d, dosing: { ...d.dosing, vitals: { ...d.dosing.vitals, postDose: [{ label: 'x', targetMinutes: 10, earliestMinutes: 20 }] } } }), 'dosing.vitals.postDose "x": earliest must be between 0 and the target'],
    ['a bad monitoring form', (d) => ({ ...d, dosing: { ...d.dosing, monitoringForm: { dueWithinDays: 0, fields: [] } } }), 'dosing.monitoringForm.dueWithinDays must be positive'],
    ['a point clashing with a session', (d) => ({ ...d, assessmentPoints: [...d.assessmentPoints, { key: 'prep-1', label: 'x', instrument: 'PHQ-9', after: 'nowhere', before: 'prep-1', window: { from: 'elsewhere', minHours: 2, maxHours: 1 } }] }), 'assessmentPoints.prep-1: key clashes with a session or "baseline"'],
    ['a window from a missing baseline', (d) => ({ ...d, screening: { ...d.screening, baseline: undefined as never } }), 'assessmentPoints.caps5-endpoint: window measured from a baseline the protocol does not define'],
    ['a duplicate AESI', (d) => ({ ...d, aesiCategories: ['cardiac', 'cardiac'] }), 'aesiCategories: "cardiac" is listed twice'],
  ])('reports %s', (_label, change, fault) => {
    expect(broken(change)).toContain(fault);
  });
});
