import type { DataSource } from 'typeorm';
import { eventHash, GENESIS_HASH } from '../hash-chain';
import { CheckpointSigner, parseNote } from './checkpoint-signer';
import { accessLeafHash, eventLeafHash, type AccessRow, type LedgerSource } from './ledger-entry';
import { extendFrontier, frontierRoot, inclusionProof, type Frontier } from './merkle';
import { SAFE_HORIZON } from './ledger-integrator';

/** The first place where the stored records and the ledger disagree. */
export type LedgerMismatch = {
  /** Leaf index in the ledger, when the problem sits at a ledger entry. */
  leafIndex: number | null;
  source: LedgerSource | 'checkpoint';
  /** Event global position or access id; the tree size for a checkpoint. */
  position: string;
  reason:
    | 'entry missing'
    | 'content changed'
    | 'hash changed'
    | 'entry moved'
    | 'version missing'
    | 'broken link'
    | 'not in ledger'
    | 'leaf changed'
    | 'root mismatch'
    | 'bad signature'
    | 'leaves without checkpoint';
};

export type LedgerVerification = {
  ok: boolean;
  /** Ledger entries whose source row was recomputed. */
  checkedEntries: number;
  /** Events past the last checkpoint, checked for their hash chain only. */
  pendingEvents: number;
  checkpoints: number;
  treeSize: number;
  rootHash: string | null;
  firstMismatch: LedgerMismatch | null;
};

type LeafRow = {
  leaf_index: string;
  source: LedgerSource;
  source_position: string;
  source_txid: string;
  leaf_hash: string;
  e_position: string | null;
  e_txid: string | null;
  stream_id: string | null;
  stream_version: string | null;
  event_id: string | null;
  event_type: string | null;
  schema_version: number | null;
  data: unknown;
  metadata: unknown;
  prev_hash: string | null;
  hash: string | null;
} & Partial<AccessRow> & { a_txid: string | null };

type EventFields = Pick<LeafRow, 'stream_id' | 'stream_version' | 'event_id' | 'event_type' | 'schema_version' | 'data' | 'metadata' | 'prev_hash' | 'hash'>;

const recomputedHash = (r: EventFields): string =>
  eventHash({
    streamId: r.stream_id!,
    streamVersion: Number(r.stream_version),
    eventId: r.event_id!,
    eventType: r.event_type!,
    schemaVersion: r.schema_version!,
    data: r.data,
    metadata: r.metadata,
    prevHash: r.prev_hash!,
  });

/** Per-stream chain state while walking in ledger order (which is version order within a stream). */
class ChainTracker {
  private readonly last = new Map<string, { version: number; hash: string }>();

  /** Null when the event continues its stream's chain; else why not. `partial`: the walk started mid-log. */
  check(r: EventFields, partial: boolean): 'version missing' | 'broken link' | null {
    const streamId = r.stream_id!;
    const version = Number(r.stream_version);
    const prev = this.last.get(streamId) ?? (partial ? undefined : { version: 0, hash: GENESIS_HASH });
    this.last.set(streamId, { version, hash: r.hash! });
    if (!prev) return null;
    if (version !== prev.version + 1) return 'version missing';
    if (r.prev_hash !== prev.hash) return 'broken link';
    return null;
  }
}

/**
 * Recomputes the whole ledger from the stored rows: every checkpoint's signature and root, every
 * leaf from its event or access row, every event's hash from its content, every stream's chain, and
 * that no event inside the signed range is missing from the ledger. Reports the first mismatch in
 * ledger order. With `fromLeaf`/`toLeaf`, rows are recomputed only for that range (roots still
 * cover the whole tree, from the stored leaf hashes).
 */
export const verifyLedger = async (
  db: DataSource,
  signer: CheckpointSigner,
  options: { origin: string; fromLeaf?: number; toLeaf?: number; batchSize?: number } = { origin: '' },
): Promise<LedgerVerification> => {
  const batchSize = options.batchSize ?? 5000;
  const from = options.fromLeaf ?? 0;
  const to = options.toLeaf ?? Number.MAX_SAFE_INTEGER;
  const partial = from > 0;
  const checkpoints = (await db.query(
    `SELECT tree_size::text AS size, root_hash, signed_note, signature FROM audit.checkpoints ORDER BY tree_size`,
  )) as { size: string; root_hash: string; signed_note: string; signature: string }[];
  const result: LedgerVerification = {
    ok: true,
    checkedEntries: 0,
    pendingEvents: 0,
    checkpoints: checkpoints.length,
    treeSize: 0,
    rootHash: null,
    firstMismatch: null,
  };
  const fail = (m: LedgerMismatch): LedgerVerification => ({ ...result, ok: false, firstMismatch: m });

  for (const c of checkpoints) {
    const note = parseNote(c.signed_note);
    if (!signer.verify(c.signed_note, c.signature) || !note || note.origin !== options.origin || note.treeSize !== Number(c.size) || note.rootHash.toString('hex') !== c.root_hash) {
      return fail({ leafIndex: null, source: 'checkpoint', position: c.size, reason: 'bad signature' });
    }
  }
  const bySize = new Map(checkpoints.map((c) => [Number(c.size), c.root_hash]));
  const signedSize = checkpoints.length > 0 ? Number(checkpoints[checkpoints.length - 1]!.size) : 0;

  const chains = new ChainTracker();
  let frontier: Frontier = [];
  let index = 0;
  let lastEvent = { txid: '0', position: '0' };
  for (;;) {
    const rows = (await db.query(
      `SELECT l.leaf_index::text, l.source, l.source_position::text, l.source_transaction_id::text AS source_txid, l.leaf_hash,
              e.global_position::text AS e_position, e.transaction_id::text AS e_txid, e.stream_id, e.stream_version::text,
              e.event_id::text, e.event_type, e.schema_version, e.data, e.metadata, e.prev_hash, e.hash,
              a.access_id::text, a.transaction_id::text AS a_txid, a.accessed_at, a.actor_id, a.actor_name, a.actor_role,
              a.actor_site, a.action, a.resource, a.course_id, a.query, a.outcome, a.correlation_id
         FROM audit.ledger_leaves l
         LEFT JOIN es.events e ON l.source = 'event' AND e.global_position = l.source_position
         LEFT JOIN audit.access_log a ON l.source = 'access' AND a.access_id = l.source_position
        WHERE l.leaf_index >= $1 ORDER BY l.leaf_index LIMIT $2`,
      [index, batchSize],
    )) as LeafRow[];
    if (rows.length === 0) break;
    const hashes: Buffer[] = [];
    for (const r of rows) {
      const leafIndex = Number(r.leaf_index);
      const at = (reason: LedgerMismatch['reason']): LedgerMismatch => ({ leafIndex, source: r.source, position: r.source_position, reason });
      if (leafIndex !== index + hashes.length) return fail({ ...at('entry missing'), leafIndex: index + hashes.length });
      const stored = Buffer.from(r.leaf_hash, 'hex');
      const inRange = leafIndex >= from && leafIndex < to;
      if (r.source === 'event') {
        lastEvent = { txid: r.source_txid, position: r.source_position };
        if (inRange) {
          if (r.e_position === null) return fail(at('entry missing'));
          if (r.e_txid !== r.source_txid) return fail(at('entry moved'));
          if (recomputedHash(r) !== r.hash) return fail(at('content changed'));
          const link = chains.check(r, partial);
          if (link) return fail(at(link));
          if (!eventLeafHash(r.e_position, r.stream_id!, Number(r.stream_version), r.hash!).equals(stored)) return fail(at('hash changed'));
          result.checkedEntries++;
        }
      } else if (inRange) {
        if (r.access_id === undefined || r.access_id === null) return fail(at('entry missing'));
        if (r.a_txid !== r.source_txid) return fail(at('entry moved'));
        if (!accessLeafHash(r as unknown as AccessRow).equals(stored)) return fail(at('content changed'));
        result.checkedEntries++;
      }
      hashes.push(stored);
      // A root is checked at every checkpoint boundary: this catches leaves rewritten together with their rows.
      const size = leafIndex + 1;
      const expectedRoot = bySize.get(size);
      if (expectedRoot !== undefined) {
        const root = frontierRoot(extendFrontier(frontier, hashes));
        if (root.toString('hex') !== expectedRoot) return fail({ leafIndex: null, source: 'checkpoint', position: String(size), reason: 'root mismatch' });
      }
    }
    frontier = extendFrontier(frontier, hashes);
    index += hashes.length;
  }
  result.treeSize = index;
  result.rootHash = index > 0 ? frontierRoot(frontier).toString('hex') : null;
  if (index !== signedSize) return fail({ leafIndex: signedSize, source: 'checkpoint', position: String(index), reason: 'leaves without checkpoint' });

  // An event inside the signed range that no leaf names was added afterwards (or its leaf was removed).
  const [stray] = (await db.query(
    `SELECT e.global_position::text AS position FROM es.events e
      WHERE (e.transaction_id, e.global_position) <= ($1::xid8, $2::bigint)
        AND NOT EXISTS (SELECT 1 FROM audit.ledger_leaves l WHERE l.source = 'event' AND l.source_position = e.global_position)
      ORDER BY e.transaction_id, e.global_position LIMIT 1`,
    [lastEvent.txid, lastEvent.position],
  )) as { position: string }[];
  if (stray) return fail({ leafIndex: null, source: 'event', position: stray.position, reason: 'not in ledger' });

  // Events not yet in a checkpoint: their content and chains can still be checked.
  if (to === Number.MAX_SAFE_INTEGER) {
    let cursor = lastEvent;
    for (;;) {
      const pending = (await db.query(
        `SELECT global_position::text AS position, transaction_id::text AS txid, stream_id, stream_version::text, event_id::text,
                event_type, schema_version, data, metadata, prev_hash, hash
           FROM es.events WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint) AND transaction_id < ${SAFE_HORIZON}
          ORDER BY transaction_id, global_position LIMIT $3`,
        [cursor.txid, cursor.position, batchSize],
      )) as (EventFields & { position: string; txid: string })[];
      for (const r of pending) {
        const at = (reason: LedgerMismatch['reason']): LedgerMismatch => ({ leafIndex: null, source: 'event', position: r.position, reason });
        if (recomputedHash(r) !== r.hash) return fail(at('content changed'));
        const link = chains.check(r, partial);
        if (link) return fail(at(link));
        result.pendingEvents++;
      }
      if (pending.length < batchSize) break;
      cursor = { txid: pending[pending.length - 1]!.txid, position: pending[pending.length - 1]!.position };
    }
  }
  return result;
};

/** An RFC 6962 inclusion proof of one event against the latest signed checkpoint. */
export type InclusionProof = {
  eventId: string;
  globalPosition: string;
  leafIndex: number;
  leafHash: string;
  treeSize: number;
  rootHash: string;
  auditPath: string[];
  checkpoint: { signedNote: string; signature: string; keyId: string; publicKey: string };
};

/** Null when the event is unknown; `pending` when it is not yet covered by a signed checkpoint. */
export const proveEventInclusion = async (db: DataSource, signer: CheckpointSigner, eventId: string): Promise<InclusionProof | 'pending' | null> => {
  const [event] = (await db.query(`SELECT global_position::text AS position FROM es.events WHERE event_id = $1`, [eventId])) as { position: string }[];
  if (!event) return null;
  const [leaf] = (await db.query(`SELECT leaf_index::int AS idx, leaf_hash FROM audit.ledger_leaves WHERE source = 'event' AND source_position = $1`, [
    event.position,
  ])) as { idx: number; leaf_hash: string }[];
  const [head] = (await db.query(
    `SELECT tree_size::int AS size, root_hash, signed_note, signature, key_id FROM audit.checkpoints ORDER BY tree_size DESC LIMIT 1`,
  )) as { size: number; root_hash: string; signed_note: string; signature: string; key_id: string }[];
  if (!leaf || !head || leaf.idx >= head.size) return 'pending';
  const hashes = (await db.query(`SELECT leaf_hash FROM audit.ledger_leaves WHERE leaf_index < $1 ORDER BY leaf_index`, [head.size])) as { leaf_hash: string }[];
  const path = inclusionProof(
    leaf.idx,
    hashes.map((h) => Buffer.from(h.leaf_hash, 'hex')),
  );
  return {
    eventId,
    globalPosition: event.position,
    leafIndex: leaf.idx,
    leafHash: leaf.leaf_hash,
    treeSize: head.size,
    rootHash: head.root_hash,
    auditPath: path.map((p) => p.toString('hex')),
    checkpoint: { signedNote: head.signed_note, signature: head.signature, keyId: head.key_id, publicKey: signer.publicKeyPem },
  };
};
