import { signedRecordHash } from '@care/crypto';
import { signedRecords, type StoredCourseEvent } from '@care/protocol';
import { at, cmd, consent, criterion, MDMA, signed, start } from '../../../../libs/protocol/src/testing/course.fixtures';
import { completeCourses, recordOf, safetyCourse } from '../fhir/testing/course-records';

/*
 * Part 11 §11.70: the hash in a signature manifestation is recomputable from the stored record. The
 * courses are made as the API makes them (signature link added before the decider) by the real decider.
 */
const asStored = (events: { type: string; streamVersion: number; data: Record<string, unknown>; metadata: Record<string, unknown> }[]): StoredCourseEvent[] =>
  events.map((e) => ({ type: e.type, streamVersion: e.streamVersion, data: e.data, metadata: e.metadata as StoredCourseEvent['metadata'] }));

const checklistCourse = () =>
  recordOf([
    start(MDMA),
    consent(),
    criterion('age-18-or-over'),
    cmd(
      'RecordEligibilityCriteria',
      {
        criteria: [
          { criterionId: 'able-to-swallow-pills', outcome: 'pass', evidence: 'Screening interview' },
          { criterionId: 'fluent-in-site-language', outcome: 'pass', evidence: 'Interview in English' },
        ],
        ...signed('authorship'),
      },
      'coordinator',
      at(0, '10:30'),
    ),
  ]);

const courses = [...completeCourses(), { name: 'safety path', events: safetyCourse({ holdCleared: true }) }, { name: 'screening checklist', events: checklistCourse() }];

describe('signature linking (§11.70)', () => {
  it.each(courses.map((c) => [c.name, asStored(c.events)] as const))('%s: every record hash recomputes from the stored events', (_, events) => {
    const records = signedRecords(events);
    expect(records.length).toBeGreaterThan(0);
    for (const r of records) {
      expect({ versions: r.streamVersions, hash: signedRecordHash(r.record) }).toEqual({ versions: r.streamVersions, hash: r.manifestation.recordHash });
    }
  });

  it('covers the steps whose event adds fields the decider derives', () => {
    const signedTypes = new Set(courses.flatMap((c) => signedRecords(asStored(c.events)).map((r) => c.events.find((e) => e.streamVersion === r.streamVersions[0])!.type)));
    // A dose's drug, a completion's missed assessments, a form's deadline, an eligibility's empty reason, a correction's voided signature.
    for (const type of ['DoseAdministered', 'CourseCompleted', 'MonitoringFormSubmitted', 'EligibilityDetermined', 'EventCorrected', 'EligibilityCriterionRecorded']) {
      expect(signedTypes).toContain(type);
    }
  });

  it('rebuilds a checklist as one record over all of its criterion events', () => {
    // The single criterion before it is a signed step of its own.
    const records = signedRecords(asStored(checklistCourse()));
    expect(records.map((r) => r.streamVersions)).toEqual([[3], [4, 5]]);
    expect(records[1]!.record).toEqual({
      criteria: [
        { criterionId: 'able-to-swallow-pills', outcome: 'pass', evidence: 'Screening interview' },
        { criterionId: 'fluent-in-site-language', outcome: 'pass', evidence: 'Interview in English' },
      ],
      performedAt: at(0, '10:30'),
    });
  });

  it('tells a changed signed value from a changed derived one', () => {
    const events = asStored(completeCourses()[0]!.events);
    const dose = events.findIndex((e) => e.type === 'DoseAdministered');
    const check = (data: Record<string, unknown>) => {
      const changed = events.map((e, i) => (i === dose ? { ...e, data } : e));
      const record = signedRecords(changed).find((r) => r.streamVersions[0] === events[dose]!.streamVersion)!;
      return signedRecordHash(record.record) === record.manifestation.recordHash;
    };
    expect(check(events[dose]!.data)).toBe(true);
    expect(check({ ...events[dose]!.data, amountMg: 120 })).toBe(false);
    // The drug comes from the protocol, not from the signer: outside the record signed.
    expect(check({ ...events[dose]!.data, drug: 'something else' })).toBe(true);
    // A signed field that is missing from the stored data is a mismatch, not a smaller record.
    expect(check(Object.fromEntries(Object.entries(events[dose]!.data).filter(([k]) => k !== 'lotNumber')))).toBe(false);
  });

  it('rebuilds a signature made before the fields were named from all of the data but the signature', () => {
    const data = { cleared: true, evidence: 'ECG normal', performedAt: at(0, '12:00') };
    const manifestation = { signerId: 'u-p', printedName: 'P', signedAt: at(0, '12:00'), meaning: 'approval', recordHash: signedRecordHash(data) };
    const [record] = signedRecords([{ type: 'MedicalClearanceRecorded', streamVersion: 5, data: { ...data, signature: manifestation }, metadata: {} }]);
    expect(signedRecordHash(record!.record)).toBe(manifestation.recordHash);
  });
});
