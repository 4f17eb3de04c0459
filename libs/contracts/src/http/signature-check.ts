/**
 * One e-signature of `GET /courses/:courseId/signatures`: its manifestation (§11.50) and whether the hash it
 * carries is that of the record rebuilt from the stored events (§11.70).
 */
export type SignatureCheckItem = {
  /** The events of the signed step (several for a checklist), by stream version and id. */
  streamVersions: number[];
  eventIds: string[];
  eventType: string;
  signerId: string;
  printedName: string;
  signedAt: string;
  meaning: string;
  /** The fields of the record signed; null for signatures made before the API named them. */
  signedFields: string[] | null;
  /** The hash in the manifestation; null for signatures made before record hashes were kept. */
  recordHash: string | null;
  /** SHA-256 of the RFC 8785 JSON of the record rebuilt from the stored events. */
  recomputedHash: string;
  /** `matches`, `differs`, or `no_record_hash` (nothing to compare with). */
  result: 'matches' | 'differs' | 'no_record_hash';
  /** The stream version of the correction that voided this signature, if one did. */
  voidedByVersion: number | null;
};

export type SignatureCheck = {
  courseId: string;
  siteId: string;
  checkedAt: string;
  summary: { signatures: number; matching: number; differing: number; withoutRecordHash: number };
  signatures: SignatureCheckItem[];
};
