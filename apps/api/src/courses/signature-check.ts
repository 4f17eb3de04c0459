import type { SignatureCheck, SignatureCheckItem } from '@care/contracts';
import { signedRecordHash } from '@care/crypto';
import type { StoredEvent } from '@care/event-store';
import { signedRecords } from '@care/protocol';

/**
 * Every e-signature of a course checked against its record (Part 11 §11.70): the record each signed step
 * signed is rebuilt from the stored events by the protocol (`signedRecords`), hashed the way the API
 * hashed it when the step was signed, and compared with the hash in the manifestation. Pure.
 */
export const checkSignatures = (courseId: string, events: StoredEvent[], checkedAt: string): SignatureCheck => {
  const byVersion = new Map(events.map((e) => [e.streamVersion, e]));
  // A correction of a signed record voids its signature (the correction carries its own).
  const voidedBy = new Map<number, number>();
  for (const e of events) {
    if (e.type === 'EventCorrected' && e.data['voidedSignature'] && typeof e.data['eventVersion'] === 'number') voidedBy.set(e.data['eventVersion'], e.streamVersion);
  }
  const signatures = signedRecords(events.map((e) => ({ type: e.type, streamVersion: e.streamVersion, data: e.data, metadata: e.metadata }))).map(
    ({ streamVersions, manifestation, record, alternative }): SignatureCheckItem => {
      const recordHash = manifestation.recordHash ?? null;
      // An old one-criterion entry may have been signed as a checklist of one: the reading that matches, if any.
      const readings = [record, ...(alternative ? [alternative] : [])].map(signedRecordHash);
      const recomputedHash = readings.find((h) => h === recordHash) ?? readings[0]!;
      return {
        streamVersions,
        eventIds: streamVersions.map((v) => byVersion.get(v)!.eventId),
        eventType: byVersion.get(streamVersions[0]!)!.type,
        signerId: manifestation.signerId,
        printedName: manifestation.printedName,
        signedAt: manifestation.signedAt,
        meaning: manifestation.meaning,
        signedFields: manifestation.signedFields ?? null,
        recordHash,
        recomputedHash,
        result: recordHash === null ? 'no_record_hash' : recordHash === recomputedHash ? 'matches' : 'differs',
        voidedByVersion: streamVersions.map((v) => voidedBy.get(v)).find((v) => v !== undefined) ?? null,
      };
    },
  );
  return {
    courseId,
    siteId: String(events[0]?.data['siteId'] ?? ''),
    checkedAt,
    summary: {
      signatures: signatures.length,
      matching: signatures.filter((s) => s.result === 'matches').length,
      differing: signatures.filter((s) => s.result === 'differs').length,
      withoutRecordHash: signatures.filter((s) => s.result === 'no_record_hash').length,
    },
    signatures,
  };
};
