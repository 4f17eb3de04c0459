import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/**
 * SHA-256 (hex) of the exact record a person signs: the command's data without its `signature`,
 * as RFC 8785 canonical JSON, so anyone can recompute it from the stored event (§11.70 linking).
 */
export const signedRecordHash = (data: Record<string, unknown>): string => {
  const record = Object.fromEntries(Object.entries(data).filter(([key]) => key !== 'signature'));
  return createHash('sha256').update(canonicalize(record) ?? '', 'utf8').digest('hex');
};
