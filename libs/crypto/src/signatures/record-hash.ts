import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/**
 * SHA-256 (hex) of the exact record a person signs: the command's data without its `signature`,
 * as RFC 8785 canonical JSON (§11.70 linking). The protocol rebuilds that record from the stored
 * event(s) with `signedRecords` (libs/protocol), so anyone can recompute the hash.
 */
export const signedRecordHash = (data: Record<string, unknown>): string => {
  const record = Object.fromEntries(Object.entries(data).filter(([key]) => key !== 'signature'));
  return createHash('sha256').update(canonicalize(record) ?? '', 'utf8').digest('hex');
};

/**
 * What the API adds to a signature request: the record's hash and the names of its fields. The event
 * keeps both in the manifestation; the names tell the signed fields apart from those the decider derives
 * (a dose's drug, a form's deadline, a correction's voided signature).
 */
export const signatureLink = (data: Record<string, unknown>): { recordHash: string; signedFields: string[] } => ({
  recordHash: signedRecordHash(data),
  signedFields: Object.keys(data)
    .filter((key) => key !== 'signature' && data[key] !== undefined)
    .sort(),
});
