import { signatureLink } from '@care/crypto';
import { checkRecordHash, recomputeRecordHash } from './signature-link';

describe("the console's own check of a record hash", () => {
  const sent = { eligible: true, performedAt: '2026-01-05T13:00:00.000Z' };
  const { recordHash, signedFields } = signatureLink(sent);
  // As stored: the decider added `reason: null`, which was not signed.
  const stored = { ...sent, reason: null, signature: { meaning: 'approval', recordHash, signedFields } };

  it("hashes the stored entry's signed fields as the API hashed the record sent", async () => {
    await expect(recomputeRecordHash(stored, signedFields)).resolves.toBe(recordHash);
    await expect(checkRecordHash(stored, signedFields, recordHash)).resolves.toBe('passed');
  });

  it('fails on a changed signed value and on a missing hash', async () => {
    await expect(checkRecordHash({ ...stored, eligible: false }, signedFields, recordHash)).resolves.toBe('failed');
    await expect(checkRecordHash(stored, signedFields, null)).resolves.toBe('failed');
  });
});
