import { esketamineMonitoredV1 } from './esketamine-monitored.v1';
import { mdmaAtPtsdV1 } from './mdma-at-ptsd.v1';
import { mdmaAtPtsdV2 } from './mdma-at-ptsd.v2';
import { mdmaAtPtsdV3 } from './mdma-at-ptsd.v3';
import type { ProtocolDefinition } from './protocol-definition';
import { findProtocol, listProtocols } from './registry';
import { isLoincCode, validateProtocolDefinition } from './validate-protocol';

const broken = (change: (def: ProtocolDefinition) => ProtocolDefinition) => validateProtocolDefinition(change(structuredClone(mdmaAtPtsdV1) as ProtocolDefinition));

describe('protocol definitions', () => {
  it('ships valid protocols, found by id and pinned version', () => {
    expect(validateProtocolDefinition(mdmaAtPtsdV1)).toEqual([]);
    expect(validateProtocolDefinition(esketamineMonitoredV1)).toEqual([]);
    expect(validateProtocolDefinition(mdmaAtPtsdV2)).toEqual([]);
    expect(validateProtocolDefinition(mdmaAtPtsdV3)).toEqual([]);
    expect(listProtocols().map((p) => `${p.id}@${p.version}`)).toEqual(['mdma-at-ptsd@1', 'mdma-at-ptsd@2', 'mdma-at-ptsd@3', 'esketamine-monitored@1']);
    expect(findProtocol('mdma-at-ptsd')).toBe(mdmaAtPtsdV3);
    expect(findProtocol('mdma-at-ptsd', 1)).toBe(mdmaAtPtsdV1);
    expect(findProtocol('mdma-at-ptsd', 2)).toBe(mdmaAtPtsdV2);
    expect(findProtocol('mdma-at-ptsd', 4)).toBeUndefined();
    // v2 changes only who may record three steps: integrations may record consent and book or cancel visits.
    const changed = Object.keys(mdmaAtPtsdV2.permissions).filter(
      (c) => JSON.stringify(mdmaAtPtsdV2.permissions[c as keyof typeof mdmaAtPtsdV2.permissions]) !== JSON.stringify(mdmaAtPtsdV1.permissions[c as keyof typeof mdmaAtPtsdV1.permissions]),
    );
    expect(changed.sort()).toEqual(['CancelSession', 'RecordInformedConsent', 'ScheduleSession']);
    expect({ ...mdmaAtPtsdV2, version: 1, permissions: mdmaAtPtsdV1.permissions }).toEqual(mdmaAtPtsdV1);
  });

  it('v3 is v2 plus BDI-II, an optional patient-reported PCL-5, two assessment points, the screening checklist as one step and the late-entry threshold', () => {
    const { instruments, assessmentPoints, lateEntryAfterMinutes, permissions, signatures, ...rest } = mdmaAtPtsdV3;
    const { instruments: v2Instruments, assessmentPoints: v2Points, permissions: v2Permissions, signatures: v2Signatures, ...v2Rest } = mdmaAtPtsdV2;
    expect(rest).toEqual({ ...v2Rest, version: 3 });
    expect(permissions).toEqual({ ...v2Permissions, RecordEligibilityCriteria: v2Permissions.RecordEligibilityCriterion });
    expect(signatures).toEqual({ ...v2Signatures, RecordEligibilityCriteria: 'authorship' });
    expect(lateEntryAfterMinutes).toBe(60);
    expect(instruments.slice(0, v2Instruments.length)).toEqual(v2Instruments);
    expect(instruments.slice(v2Instruments.length)).toEqual([
      { id: 'BDI-II', title: expect.any(String), reportedBy: 'patient', fields: [{ name: 'total', label: 'Total score', type: 'integer', min: 0, max: 63, required: true }] },
      {
        id: 'PCL-5',
        title: expect.any(String),
        optional: true,
        reportedBy: 'patient',
        loinc: '101697-1',
        fields: [{ name: 'total', label: 'Total score', type: 'integer', min: 0, max: 80, required: true, loinc: '101698-9' }],
      },
    ]);
    expect(assessmentPoints.slice(0, v2Points.length)).toEqual(v2Points);
    expect(assessmentPoints.slice(v2Points.length)).toEqual([
      expect.objectContaining({ key: 'bdi2-endpoint', instrument: 'BDI-II', after: 'integration-3.3', window: { from: 'baseline', minHours: 16 * 7 * 24, maxHours: 20 * 7 * 24 } }),
      expect.objectContaining({ key: 'caps5-long-term-follow-up', instrument: 'CAPS-5', after: 'integration-3.3', window: { from: 'dosing-3', minHours: 184 * 24, maxHours: 365 * 24 } }),
    ]);
    // The e-PRO integration may record assessments in v3 (a permission v1 already gave it).
    expect(mdmaAtPtsdV3.permissions.RecordAssessment).toContain('integration');
  });

  it('keeps v1 and v2 as published: no BDI-II, PCL-5 or long-term follow-up', () => {
    for (const def of [mdmaAtPtsdV1, mdmaAtPtsdV2]) {
      expect(def.instruments.map((i) => i.id)).toEqual(['CAPS-5', 'C-SSRS', 'SDS']);
      expect(def.assessmentPoints.map((p) => p.key)).toEqual(['caps5-after-dosing-2', 'caps5-after-dosing-3', 'caps5-endpoint']);
      expect(def.lateEntryAfterMinutes).toBeUndefined();
      expect(def.instruments.some((i) => i.optional || i.loinc || i.reportedBy)).toBe(false);
    }
  });

  it('checks LOINC codes with their check digit', () => {
    for (const code of ['101697-1', '101698-9', '93245-9', '8480-6', '85354-9']) expect(isLoincCode(code)).toBe(true);
    for (const code of ['101698-8', '101698', '12345678-1', 'LP1234-5', '']) expect(isLoincCode(code)).toBe(false);
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
    ['an invalid instrument LOINC code', (d) => ({ ...d, instruments: [...d.instruments, { id: 'X', title: 'X', loinc: '101697-2', fields: [{ name: 't', label: 't', type: 'integer', required: true, loinc: '1' }] }] }), 'instruments.X: invalid LOINC code "101697-2"'],
    ['an invalid field LOINC code', (d) => ({ ...d, instruments: [...d.instruments, { id: 'X', title: 'X', fields: [{ name: 't', label: 't', type: 'integer', required: true, loinc: '101698-8' }] }] }), 'instruments.X: field "t" has an invalid LOINC code "101698-8"'],
    ['an unknown reporter', (d) => ({ ...d, instruments: [...d.instruments, { id: 'X', title: 'X', reportedBy: 'parrot' as never, fields: [{ name: 't', label: 't', type: 'integer', required: true }] }] }), 'instruments.X: unknown reporter "parrot"'],
    ['an optional instrument required at a visit', (d) => ({ ...d, instruments: d.instruments.map((i) => (i.id === 'C-SSRS' ? { ...i, optional: true as const } : i)) }), 'sessions.prep-1: the optional C-SSRS cannot be required'],
    ['an optional instrument owed at a point', (d) => ({ ...d, instruments: d.instruments.map((i) => (i.id === 'CAPS-5' ? { ...i, optional: true as const } : i)) }), 'assessmentPoints.caps5-endpoint: an assessment point is owed, so it cannot record the optional CAPS-5'],
    ['an optional instrument deciding eligibility', (d) => ({ ...d, instruments: d.instruments.map((i) => (i.id === 'CAPS-5' ? { ...i, optional: true as const } : i)) }), 'screening.baseline: the optional CAPS-5 cannot decide eligibility'],
    ['a duplicate AESI', (d) => ({ ...d, aesiCategories: ['cardiac', 'cardiac'] }), 'aesiCategories: "cardiac" is listed twice'],
  ])('reports %s', (_label, change, fault) => {
    expect(broken(change)).toContain(fault);
  });
});
