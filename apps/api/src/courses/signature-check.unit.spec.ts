import { signedRecordHash } from '@care/crypto';
import type { StoredEvent } from '@care/event-store';
import { safetyCourse } from '../fhir/testing/course-records';
import { checkSignatures } from './signature-check';

const stored = (): StoredEvent[] =>
  safetyCourse().map((e) => ({
    ...e,
    streamId: 'course-c-fhir-1',
    eventId: `00000000-0000-4000-8000-${String(e.streamVersion).padStart(12, '0')}`,
    globalPosition: String(e.streamVersion),
    prevHash: '',
    hash: '',
  }));

describe('checkSignatures', () => {
  it('finds every signature of the safety path linked to its record', () => {
    const events = stored();
    const check = checkSignatures('c-fhir-1', events, '2026-12-02T12:00:00.000Z');
    expect(check).toMatchObject({ courseId: 'c-fhir-1', siteId: 'site-a', checkedAt: '2026-12-02T12:00:00.000Z' });
    expect(check.summary).toEqual({ signatures: check.signatures.length, matching: check.signatures.length, differing: 0, withoutRecordHash: 0 });
    const correction = events.find((e) => e.type === 'EventCorrected')!;
    const corrected = correction.data['eventVersion'] as number;
    const voided = check.signatures.filter((s) => s.voidedByVersion !== null);
    // The corrected vital signs were not signed; the correction voids no signature but carries its own.
    expect(voided).toEqual([]);
    expect(check.signatures.find((s) => s.streamVersions.includes(correction.streamVersion))).toMatchObject({ eventType: 'EventCorrected', result: 'matches' });
    expect(check.signatures.some((s) => s.streamVersions.includes(corrected))).toBe(false);
    for (const s of check.signatures) {
      expect(s.eventIds).toEqual(s.streamVersions.map((v) => events.find((e) => e.streamVersion === v)!.eventId));
      expect(s.signedFields).not.toBeNull();
    }
  });

  it('says which signature differs from its stored record, and which has no hash to compare', () => {
    const events = stored();
    const withdrawal = events.find((e) => e.type === 'CourseWithdrawn')!;
    withdrawal.data = { ...withdrawal.data, reason: 'adverse_event' };
    const classification = events.find((e) => e.type === 'AdverseEventClassified')!;
    const unhashed = Object.fromEntries(Object.entries(classification.data['signature'] as Record<string, unknown>).filter(([k]) => k !== 'recordHash'));
    classification.data = { ...classification.data, signature: unhashed };
    const check = checkSignatures('c-fhir-1', events, '2026-12-02T12:00:00.000Z');
    expect(check.signatures.find((s) => s.eventType === 'CourseWithdrawn')).toMatchObject({ result: 'differs' });
    expect(check.signatures.find((s) => s.eventType === 'AdverseEventClassified')).toMatchObject({ result: 'no_record_hash', recordHash: null });
    expect(check.summary).toMatchObject({ differing: 1, withoutRecordHash: 1, matching: check.signatures.length - 2 });
  });

  it('names the correction that voided a signed record', () => {
    const events = stored();
    const medical = events.find((e) => e.type === 'MedicalClearanceRecorded')!;
    const voidedSignature = medical.data['signature'];
    const last = events[events.length - 1]!;
    events.push({ ...last, type: 'EventCorrected', streamVersion: last.streamVersion + 1, eventId: '00000000-0000-4000-8000-999999999999', data: { eventVersion: medical.streamVersion, reason: 'Wrong ECG', values: { evidence: 'ECG repeated' }, voidedSignature } });
    const check = checkSignatures('c-fhir-1', events, '2026-12-02T12:00:00.000Z');
    expect(check.signatures.find((s) => s.streamVersions.includes(medical.streamVersion))).toMatchObject({ voidedByVersion: last.streamVersion + 1, result: 'matches' });
  });
});

describe('checkSignatures on signatures made before the fields were named', () => {
  it('reads an old one-criterion entry either way: alone, or as a checklist of one', () => {
    const criterion = { criterionId: 'age-18-or-over', outcome: 'pass', evidence: 'ID checked' };
    const performedAt = '2026-01-05T10:00:00.000Z';
    const event = (recordHash: string, streamVersion: number): StoredEvent => ({
      type: 'EligibilityCriterionRecorded',
      schemaVersion: 1,
      streamVersion,
      streamId: 'course-old',
      eventId: `00000000-0000-4000-8000-00000000000${streamVersion}`,
      globalPosition: String(streamVersion),
      recordedAt: performedAt,
      prevHash: '',
      hash: '',
      data: { ...criterion, performedAt, signature: { signerId: 'u-c', printedName: 'C', signedAt: performedAt, meaning: 'authorship', recordHash } },
      metadata: { commandId: `cmd-${streamVersion}` },
    });
    const started: StoredEvent = { ...event('', 1), type: 'CourseStarted', data: { courseId: 'old', siteId: 'site-a' } };
    const check = checkSignatures(
      'old',
      [started, event(signedRecordHash({ ...criterion, performedAt }), 2), event(signedRecordHash({ criteria: [criterion], performedAt }), 3), event('0'.repeat(64), 4)],
      performedAt,
    );
    expect(check.signatures.map((s) => s.result)).toEqual(['matches', 'matches', 'differs']);
  });
});
