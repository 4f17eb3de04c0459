import { COMMAND_TYPES, parseCommandInput } from './parse-command';

describe('parseCommandInput', () => {
  it('lists every command type', () => {
    expect(COMMAND_TYPES).toHaveLength(31);
    expect(COMMAND_TYPES).toEqual(expect.arrayContaining(['StartCourse', 'RecordVitals', 'CorrectEvent', 'CompleteCourse']));
  });

  it('accepts the existing API shapes unchanged', () => {
    expect(parseCommandInput({ type: 'RecordInformedConsent', data: { consentFormVersion: 'v3', consentedAt: '2026-01-05T08:30:00Z' } })).toMatchObject({ ok: true });
    expect(parseCommandInput({ type: 'RecordEmergencyContact', data: { contactRef: 'EC-1' } })).toMatchObject({ ok: true });
  });

  it.each([
    ['not an object', 'x', [{ field: '', message: 'must be a JSON object' }]],
    ['an unknown type', { type: 'DoSomething', data: {} }, [{ field: 'type', message: expect.stringContaining('must be one of') }]],
    ['data not an object', { type: 'CompleteCourse', data: [] }, [{ field: 'data', message: 'must be a JSON object' }]],
    ['an unknown field', { type: 'RecordEmergencyContact', data: { contactRef: 'EC-1', constructor: 1 } }, [{ field: 'data.constructor', message: 'is not a field of this command' }]],
    ['a missing field', { type: 'RecordEmergencyContact', data: {} }, [{ field: 'data.contactRef', message: 'is required' }]],
    ['an empty string', { type: 'PlaceSafetyHold', data: { reason: ' ' } }, [{ field: 'data.reason', message: 'must be a non-empty string' }]],
    ['a long string', { type: 'PlaceSafetyHold', data: { reason: 'x'.repeat(501) } }, [{ field: 'data.reason', message: 'must be at most 500 characters' }]],
    ['a bad identifier', { type: 'StartSession', data: { sessionKey: 'a b' } }, [{ field: 'data.sessionKey', message: expect.stringContaining('may contain only') }]],
    ['a bad date-time', { type: 'ScheduleSession', data: { sessionKey: 'prep-1', scheduledFor: '2026-01-05 09:00' } }, [{ field: 'data.scheduledFor', message: expect.stringContaining('UTC date-time') }]],
    ['a non-number', { type: 'AdministerDose', data: { sessionKey: 'dosing-1', amountMg: '80' } }, [{ field: 'data.amountMg', message: 'must be a number' }]],
    ['a fractional integer', { type: 'ClearSafetyHold', data: { holdRef: 1.5, reason: 'x' } }, [{ field: 'data.holdRef', message: 'must be a whole number' }]],
    ['an out-of-range vital', { type: 'RecordVitals', data: { sessionKey: 'dosing-1', timing: 'other', systolic: 1200, diastolic: 80, heartRate: 70 } }, [{ field: 'data.systolic', message: 'must be between 40 and 300 mmHg' }]],
    ['a non-boolean', { type: 'RecordMedicalClearance', data: { cleared: 'yes', evidence: 'x' } }, [{ field: 'data.cleared', message: 'must be true or false' }]],
    ['a value outside an enum (no "not an AE" causality)', { type: 'ClassifyAdverseEvent', data: { adverseEventRef: 3, serious: false, causality: 'not_an_ae', severity: 'mild' } }, [{ field: 'data.causality', message: expect.stringContaining('must be one of') }]],
    ['values not an object', { type: 'RecordAssessment', data: { instrument: 'CAPS-5', timepoint: 'baseline', values: 3 } }, [{ field: 'data.values', message: 'must be a JSON object of values' }]],
    ['a bad value name', { type: 'RecordAssessment', data: { instrument: 'CAPS-5', timepoint: 'baseline', values: { '1x': 3 } } }, [{ field: 'data.values.1x', message: 'is not a valid value name' }]],
    ['a nested value', { type: 'RecordAssessment', data: { instrument: 'CAPS-5', timepoint: 'baseline', values: { total: { a: 1 } } } }, [{ field: 'data.values.total', message: expect.stringContaining('must be a number') }]],
    ['too many values', { type: 'CorrectEvent', data: { eventVersion: 2, reason: 'x', values: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`v${i}`, i])) } }, [{ field: 'data.values', message: 'has too many values' }]],
    ['a signature with extra fields', { type: 'CompleteCourse', data: { signature: { meaning: 'approval', password: 'x' } } }, [{ field: 'data.signature', message: expect.stringContaining('only "meaning"') }]],
    ['a signature without meaning', { type: 'CompleteCourse', data: { signature: { meaning: '' } } }, [{ field: 'data.signature.meaning', message: 'must be a non-empty string' }]],
  ])('refuses %s', (_label, input, errors) => {
    expect(parseCommandInput(input)).toEqual({ ok: false, errors });
  });

  it('accepts optional fields, drops explicit nulls and honours the allowed list', () => {
    const parsed = parseCommandInput({ type: 'RecordVitals', data: { sessionKey: 'dosing-1', timing: 'post_dose', systolic: 120, diastolic: 80, heartRate: 70, temperatureC: 37.2, measuredAt: null, signature: { meaning: 'authorship' } } });
    expect(parsed).toEqual({ ok: true, command: { type: 'RecordVitals', data: { sessionKey: 'dosing-1', timing: 'post_dose', systolic: 120, diastolic: 80, heartRate: 70, temperatureC: 37.2, signature: { meaning: 'authorship' } } } });
    expect(parseCommandInput({ type: 'StartCourse', data: {} }, ['CompleteCourse'])).toMatchObject({ ok: false, errors: [{ field: 'type' }] });
    expect(parseCommandInput({ type: 'StartCourse', data: { courseId: 'c', patientRef: 'p', siteId: 's', protocolId: 'x', signature: { meaning: 'approval' } } })).toMatchObject({ ok: false, errors: [{ field: 'data.signature' }] });
  });
});

describe('parseCommandInput: the screening checklist in one step', () => {
  const criterion = { criterionId: 'age-18-or-over', outcome: 'pass', evidence: 'ID checked' };
  it('names the criterion and field that is wrong, and refuses an empty or missing list', () => {
    expect(parseCommandInput({ type: 'RecordEligibilityCriteria', data: { criteria: [criterion, { ...criterion, evidence: ' ' }] } })).toEqual({
      ok: false,
      errors: [{ field: 'data.criteria.1.evidence', message: 'must be a non-empty string' }],
    });
    expect(parseCommandInput({ type: 'RecordEligibilityCriteria', data: { criteria: [] } })).toEqual({
      ok: false,
      errors: [{ field: 'data.criteria', message: 'must name at least one criterion' }],
    });
    expect(parseCommandInput({ type: 'RecordEligibilityCriteria', data: {} })).toEqual({ ok: false, errors: [{ field: 'data.criteria', message: 'is required' }] });
    expect(parseCommandInput({ type: 'RecordEligibilityCriteria', data: { criteria: [{ ...criterion, extra: 1 }] } })).toMatchObject({ ok: false });
    expect(parseCommandInput({ type: 'RecordEligibilityCriteria', data: { criteria: [criterion] } })).toMatchObject({ ok: true });
  });
});
