import type { LedgerMismatch } from './types';

/** Where the mismatch sits, in words: an event, an access-log row, or a signed checkpoint. */
export const whereOf = (m: LedgerMismatch): string => {
  const leaf = m.leafIndex !== null ? ` (ledger entry ${m.leafIndex})` : '';
  if (m.source === 'event') return `the event at position ${m.position}${leaf}`;
  if (m.source === 'access') return `access-log row ${m.position}${leaf}`;
  if (m.source === 'node') return `the stored tree node ${m.position} (level:index, from ledger entry ${m.leafIndex ?? '?'})`;
  return `the signed checkpoint of ${m.position} entries`;
};

/** The first mismatch of a verification, explained: what was found and what it can mean. */
export const explain = (m: LedgerMismatch): string => {
  const where = whereOf(m);
  switch (m.reason) {
    case 'entry missing':
      return `Ledger entry ${m.leafIndex ?? '?'} is missing, or the record it names (${where}) no longer exists in the store: a record or a ledger entry was deleted.`;
    case 'content changed':
      return `The content of ${where} was changed after it was recorded: recomputing its hash from what is stored now does not give the hash the ledger signed.`;
    case 'hash changed':
      return `The stored hash of ${where} is not the one the ledger signed: the record's hash was rewritten.`;
    case 'entry moved':
      return `${capital(where)} was written again in another transaction than the one the ledger recorded: it was removed and inserted anew.`;
    case 'version missing':
      return `Before ${where}, an event of the same course is missing: the course's version numbers skip one.`;
    case 'broken link':
      return `${capital(where)} does not link to the event before it in its course: the course's hash chain is broken, so an earlier event was changed or replaced.`;
    case 'not in ledger':
      return `${capital(where)} is stored inside the range the ledger has signed, but no ledger entry names it: it was added afterwards, or its ledger entry was removed.`;
    case 'leaf changed':
      return `Ledger entry ${m.leafIndex ?? m.position} was changed after it was signed.`;
    case 'root mismatch':
      return `The ledger's first ${m.position} entries no longer give the root hash their signed checkpoint carries: ledger entries were rewritten (perhaps together with their records).`;
    case 'bad signature':
      return `The signed checkpoint of ${m.position} entries does not verify: its signature, its origin, its size or its root hash is not what was signed with the ledger key.`;
    case 'leaves without checkpoint':
      return `The ledger holds ${m.position} entries, but its latest signed checkpoint covers ${m.leafIndex ?? 0}: entries were added without a checkpoint, or the latest checkpoints were removed.`;
    case 'node changed':
      return `${capital(where)} is missing or is not the hash of the entries it covers: the stored tree, which inclusion proofs read, was rewritten.`;
    case 'audit columns changed':
      return `The site, patient, clinical time or late entry stored with ${where} is not what its recorded content gives: an audit filter could have hidden it or shown it under another course.`;
    default:
      return `${capital(where)}: ${String(m.reason)}.`;
  }
};

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
