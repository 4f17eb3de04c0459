import type { DataSource } from 'typeorm';
import { auditColumnsMatch, STRAY_AUDIT_COLUMNS_SQL } from '../audit-columns/audit-columns';
import { GENESIS_HASH, storedEventHash } from '../hash-chain';
import { CheckpointSigner, parseNote } from './checkpoint-signer';
import { accessLeafHash, eventLeafHash, type AccessRow, type LedgerSource } from './ledger-entry';
import { SAFE_HORIZON } from './ledger-integrator';
import { nodeKey, readNodesEndingIn, readStoredNodes } from './ledger-nodes';
import {
  appendSubtree,
  composePath,
  extendFrontierWithNodes,
  frontierRoot,
  inclusionPathNodes,
  perfectSubtrees,
  type Frontier,
  type NodeKey,
  type TreeNode,
} from './merkle';

/** The first place where the stored records and the ledger disagree. */
export type LedgerMismatch = {
  /** Leaf index in the ledger, when the problem sits at a ledger entry. */
  leafIndex: number | null;
  source: LedgerSource | 'checkpoint' | 'node';
  /** Event global position or access id; the tree size for a checkpoint; `level:index` for a stored tree node. */
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
    | 'leaves without checkpoint'
    /** A stored tree node (audit.ledger_nodes) is missing or is not the hash of the leaves it covers. */
    | 'node changed'
    | 'audit columns changed';
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
  clinical_time: string | null;
  late_entry: unknown;
};

const LARGEST_XID8 = '18446744073709551615';
const LARGEST_BIGINT = '9223372036854775807';

type EventFields = Pick<LeafRow, 'stream_id' | 'stream_version' | 'event_id' | 'event_type' | 'schema_version' | 'data' | 'metadata' | 'prev_hash' | 'hash' | 'clinical_time' | 'late_entry'>;

// storedEventHash: data and metadata come straight from jsonb, so the round trip eventHash does is not needed.
const recomputedHash = (r: EventFields): string =>
  storedEventHash({
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

/** Where a node's mismatch is reported: at the first leaf it covers, by level and index. */
const nodeAt = (level: number, index: number): LedgerMismatch => ({ leafIndex: index * 2 ** level, source: 'node', position: `${level}:${index}`, reason: 'node changed' });

/**
 * Recomputes the whole ledger from the stored rows: every checkpoint's signature and root, every
 * leaf from its event or access row, every stored tree node from the leaves, every event's hash
 * from its content, every stream's chain, and that no event inside the signed range is missing from
 * the ledger. Reports the first mismatch in ledger order (a node after every root: nodes are derived).
 *
 * With `fromLeaf`/`toLeaf`, only that range is read, and the stored nodes beside it stand in for the
 * leaves outside, exactly as siblings do in an inclusion proof: each entry of the range is
 * recomputed from its row, every stored node over the range is recomputed from the range's leaves
 * and those siblings, and every signed root from the same. So a record, leaf or node of the range
 * cannot have been rewritten without a mismatch (short of a SHA-256 collision), whatever the rest of
 * the tables hold; what lies wholly outside the range is what a range does not check. Costs O(range)
 * rows plus O(log n) per checkpoint (every signature is still checked).
 */
export const verifyLedger = async (
  db: DataSource,
  signer: CheckpointSigner,
  options: { origin: string; fromLeaf?: number; toLeaf?: number; batchSize?: number } = { origin: '' },
): Promise<LedgerVerification> => {
  const batchSize = options.batchSize ?? 5000;
  const to = options.toLeaf ?? Number.MAX_SAFE_INTEGER;
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
  const rootMismatch = (size: number) => fail({ leafIndex: null, source: 'checkpoint', position: String(size), reason: 'root mismatch' });

  for (const c of checkpoints) {
    const note = parseNote(c.signed_note);
    if (!signer.verify(c.signed_note, c.signature) || !note || note.origin !== options.origin || note.treeSize !== Number(c.size) || note.rootHash.toString('hex') !== c.root_hash) {
      return fail({ leafIndex: null, source: 'checkpoint', position: c.size, reason: 'bad signature' });
    }
  }
  const sizes = checkpoints.map((c) => Number(c.size));
  const bySize = new Map(checkpoints.map((c) => [Number(c.size), c.root_hash]));
  const signedSize = sizes.length > 0 ? sizes[sizes.length - 1]! : 0;
  // A range starting past the signed tree starts at its end: there is nothing signed to stand beside.
  const from = Math.min(options.fromLeaf ?? 0, signedSize);
  const partial = from > 0;
  const full = from === 0 && to === Number.MAX_SAFE_INTEGER;

  // Checkpoints that end before the range, and the frontier at its start, from the stored tree.
  let frontier: Frontier = [];
  if (from > 0) {
    const before = sizes.filter((size) => size <= from);
    const stored = await readStoredNodes(db, [...before.flatMap((size) => perfectSubtrees(0, size)), ...perfectSubtrees(0, from)]);
    for (const size of before) {
      const pieces = perfectSubtrees(0, size).map((k) => ({ size: 2 ** k.level, hash: stored.get(nodeKey(k)) }));
      if (pieces.some((p) => !p.hash) || frontierRoot(pieces as Frontier).toString('hex') !== bySize.get(size)) return rootMismatch(size);
    }
    for (const k of perfectSubtrees(0, from)) {
      const hash = stored.get(nodeKey(k));
      if (!hash) return fail(nodeAt(k.level, k.index));
      frontier.push({ size: 2 ** k.level, hash });
    }
  }

  // Stored nodes are compared as they are completed; the first mismatch is reported once every root has been checked.
  let nodeMismatch: LedgerMismatch | null = null;
  const compareNodes = (nodes: TreeNode[], stored: Map<number, Buffer>, below = Number.MAX_SAFE_INTEGER) => {
    if (nodeMismatch) return;
    for (const n of nodes) {
      if (n.index * 2 ** n.level >= below) continue;
      const s = stored.get(nodeKey(n));
      if (!s || !s.equals(n.hash)) {
        nodeMismatch = nodeAt(n.level, n.index);
        return;
      }
    }
  };

  // Events by join; access rows, rarer and wider, by a second query, so an event row carries no empty access columns.
  const readPage = (at: number) => {
    const limit = Math.min(batchSize, to - at);
    return Promise.all([
      db.query(
        `SELECT l.leaf_index::text, l.source, l.source_position::text, l.source_transaction_id::text AS source_txid, l.leaf_hash,
                e.global_position::text AS e_position, e.transaction_id::text AS e_txid, e.stream_id, e.stream_version::text,
                e.event_id::text, e.event_type, e.schema_version, e.data, e.metadata, e.prev_hash, e.hash, e.clinical_time, e.late_entry
           FROM audit.ledger_leaves l
           LEFT JOIN es.events e ON l.source = 'event' AND e.global_position = l.source_position
          WHERE l.leaf_index >= $1 AND l.leaf_index < $3 ORDER BY l.leaf_index LIMIT $2`,
        [at, limit, to],
      ) as Promise<LeafRow[]>,
      db.query(
        `SELECT l.leaf_index::text, a.access_id::text, a.transaction_id::text AS a_txid, a.accessed_at, a.actor_id, a.actor_name, a.actor_role,
                a.actor_site, a.action, a.resource, a.course_id, a.query, a.outcome, a.correlation_id
           FROM audit.ledger_leaves l JOIN audit.access_log a ON a.access_id = l.source_position
          WHERE l.source = 'access' AND l.leaf_index >= $1 AND l.leaf_index < $2`,
        [at, at + limit],
      ) as Promise<(AccessRow & { leaf_index: string; a_txid: string })[]>,
      readNodesEndingIn(db, at, at + limit),
    ]);
  };

  const chains = new ChainTracker();
  let index = from;
  let lastEvent = { txid: '0', position: '0' };
  if (partial) {
    // The window for stray events starts after the last event entry before the range.
    const [before] = (await db.query(
      `SELECT source_transaction_id::text AS txid, source_position::text AS position FROM audit.ledger_leaves
        WHERE source = 'event' AND leaf_index < $1 ORDER BY leaf_index DESC LIMIT 1`,
      [from],
    )) as { txid: string; position: string }[];
    if (before) lastEvent = before;
  }
  const strayFrom = lastEvent;
  // Two pages ahead: the database reads and sends them while this one is hashed.
  const ahead: ReturnType<typeof readPage>[] = [];
  let requested = index;
  const readAhead = () => {
    for (; ahead.length < 2 && requested < to; requested += Math.min(batchSize, to - requested)) {
      const page = readPage(requested);
      page.catch(() => undefined); // a failure is thrown where the page is awaited, not as an unhandled rejection meanwhile
      ahead.push(page);
    }
  };
  // Before returning early: no query may outlive the verification.
  const settle = () => Promise.allSettled(ahead.splice(0));
  readAhead();
  for (let next = ahead.shift(); next; next = ahead.shift()) {
    const [rows, accessRows, pageNodes] = await next;
    const accesses = new Map(accessRows.map((a) => [a.leaf_index, a]));
    if (rows.length === 0) {
      await settle();
      break;
    }
    if (rows.length === Math.min(batchSize, to - index)) readAhead();
    let hashes: Buffer[] = [];
    for (const r of rows) {
      const leafIndex = Number(r.leaf_index);
      const at = (reason: LedgerMismatch['reason']): LedgerMismatch => ({ leafIndex, source: r.source, position: r.source_position, reason });
      if (leafIndex !== index + hashes.length) {
        await settle();
        return fail({ ...at('entry missing'), leafIndex: index + hashes.length });
      }
      const stored = Buffer.from(r.leaf_hash, 'hex');
      let problem: LedgerMismatch | null = null;
      if (r.source === 'event') {
        lastEvent = { txid: r.source_txid, position: r.source_position };
        if (r.e_position === null) problem = at('entry missing');
        else if (r.e_txid !== r.source_txid) problem = at('entry moved');
        else if (recomputedHash(r) !== r.hash) problem = at('content changed');
        else if (!auditColumnsMatch(r)) problem = at('audit columns changed');
        else {
          const link = chains.check(r, partial);
          if (link) problem = at(link);
          else if (!eventLeafHash(r.e_position, r.stream_id!, Number(r.stream_version), r.hash!).equals(stored)) problem = at('hash changed');
        }
      } else {
        const a = accesses.get(r.leaf_index);
        if (!a) problem = at('entry missing');
        else if (a.a_txid !== r.source_txid) problem = at('entry moved');
        else if (!accessLeafHash(a).equals(stored)) problem = at('content changed');
      }
      if (problem) {
        await settle();
        return fail(problem);
      }
      result.checkedEntries++;
      hashes.push(stored);
      // A root is checked at every checkpoint boundary: this catches leaves rewritten together with their rows.
      const size = leafIndex + 1;
      const expectedRoot = bySize.get(size);
      if (expectedRoot !== undefined) {
        const step = extendFrontierWithNodes(frontier, index, hashes);
        compareNodes(step.nodes, pageNodes);
        frontier = step.frontier;
        index += hashes.length;
        hashes = [];
        if (frontierRoot(frontier).toString('hex') !== expectedRoot) {
          await settle();
          return rootMismatch(size);
        }
      }
    }
    const step = extendFrontierWithNodes(frontier, index, hashes);
    compareNodes(step.nodes, pageNodes);
    frontier = step.frontier;
    index += hashes.length;
  }
  const scanEnd = index;
  if (!full && scanEnd < Math.min(to, signedSize)) {
    // Leaves of the range are missing at its end: as for the whole ledger, the signed size is not reached.
    return fail({ leafIndex: signedSize, source: 'checkpoint', position: String(scanEnd), reason: 'leaves without checkpoint' });
  }

  // Checkpoints that end after the range: the range's frontier, extended by the stored subtrees after it.
  let treeSize = scanEnd;
  const after = sizes.filter((size) => size > scanEnd);
  if (after.length > 0 && !full) {
    const straddling: NodeKey[] = [];
    for (let level = 1, size = 2; size <= signedSize; level++, size *= 2) {
      const j = Math.floor((scanEnd - 1) / size);
      if (scanEnd > 0 && (j + 1) * size > scanEnd && (j + 1) * size <= signedSize) straddling.push({ level, index: j });
    }
    const pieces = after.flatMap((size, i) => perfectSubtrees(i === 0 ? scanEnd : after[i - 1]!, size));
    const stored = await readStoredNodes(db, [...pieces, ...straddling]);
    for (const size of after) {
      for (const k of perfectSubtrees(treeSize, size)) {
        const hash = stored.get(nodeKey(k));
        if (!hash) return rootMismatch(size);
        const step = appendSubtree(frontier, treeSize, { size: 2 ** k.level, hash });
        // Nodes over the end of the range are checked; those wholly after it are outside the range.
        compareNodes(step.nodes, stored, scanEnd);
        frontier = step.frontier;
        treeSize += 2 ** k.level;
      }
      if (frontierRoot(frontier).toString('hex') !== bySize.get(size)) return rootMismatch(size);
    }
  }
  if (nodeMismatch) return fail(nodeMismatch);
  result.treeSize = treeSize;
  result.rootHash = treeSize > 0 ? frontierRoot(frontier).toString('hex') : null;
  if (full) {
    if (scanEnd !== signedSize) return fail({ leafIndex: signedSize, source: 'checkpoint', position: String(scanEnd), reason: 'leaves without checkpoint' });
  } else {
    // The range did not read every leaf: the last one's index tells whether the ledger ends where it was signed.
    const [{ n }] = (await db.query(`SELECT coalesce(max(leaf_index) + 1, 0)::text AS n FROM audit.ledger_leaves`)) as [{ n: string }];
    if (Number(n) !== signedSize) return fail({ leafIndex: signedSize, source: 'checkpoint', position: n, reason: 'leaves without checkpoint' });
  }

  // An event inside the signed range that no leaf names was added afterwards (or its leaf was removed).
  // A range looks between its first and last event entry, one index lookup per event; the whole ledger by one anti-join.
  const [stray] = (await db.query(
    full
      ? `SELECT e.global_position::text AS position FROM es.events e
          WHERE (e.transaction_id, e.global_position) <= ($1::xid8, $2::bigint)
            AND NOT EXISTS (SELECT 1 FROM audit.ledger_leaves l WHERE l.source = 'event' AND l.source_position = e.global_position)
          ORDER BY e.transaction_id, e.global_position LIMIT 1`
      : `SELECT e.global_position::text AS position FROM es.events e
          LEFT JOIN LATERAL (SELECT 1 AS found FROM audit.ledger_leaves l WHERE l.source = 'event' AND l.source_position = e.global_position LIMIT 1) l ON true
          WHERE (e.transaction_id, e.global_position) <= ($1::xid8, $2::bigint) AND (e.transaction_id, e.global_position) > ($3::xid8, $4::bigint)
            AND l.found IS NULL
          ORDER BY e.transaction_id, e.global_position LIMIT 1`,
    full ? [lastEvent.txid, lastEvent.position] : [lastEvent.txid, lastEvent.position, strayFrom.txid, strayFrom.position],
  )) as { position: string }[];
  if (stray) return fail({ leafIndex: null, source: 'event', position: stray.position, reason: 'not in ledger' });

  // The site and patient an entry shows (and the filters use) are stored with each event, unhashed:
  // each must be its course's first event's. The whole log by one join; a range within its events.
  const [moved] = (await db.query(STRAY_AUDIT_COLUMNS_SQL, full ? ['0', '0', LARGEST_XID8, LARGEST_BIGINT] : [strayFrom.txid, strayFrom.position, lastEvent.txid, lastEvent.position])) as {
    position: string;
  }[];
  if (moved) return fail({ leafIndex: null, source: 'event', position: moved.position, reason: 'audit columns changed' });

  // Events not yet in a checkpoint: their content and chains can still be checked.
  if (to === Number.MAX_SAFE_INTEGER) {
    let cursor = lastEvent;
    for (;;) {
      const pending = (await db.query(
        `SELECT global_position::text AS position, transaction_id::text AS txid, stream_id, stream_version::text, event_id::text,
                event_type, schema_version, data, metadata, prev_hash, hash, clinical_time, late_entry
           FROM es.events WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint) AND transaction_id < ${SAFE_HORIZON}
          ORDER BY transaction_id, global_position LIMIT $3`,
        [cursor.txid, cursor.position, batchSize],
      )) as (EventFields & { position: string; txid: string })[];
      for (const r of pending) {
        const at = (reason: LedgerMismatch['reason']): LedgerMismatch => ({ leafIndex: null, source: 'event', position: r.position, reason });
        if (recomputedHash(r) !== r.hash) return fail(at('content changed'));
        if (!auditColumnsMatch(r)) return fail(at('audit columns changed'));
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

/**
 * Null when the event is unknown; `pending` when it is not yet covered by a signed checkpoint. Reads
 * O(log n) rows: the audit path's subtrees from audit.ledger_nodes (leaves for level 0).
 */
export const proveEventInclusion = async (db: DataSource, signer: CheckpointSigner, eventId: string): Promise<InclusionProof | 'pending' | null> => {
  // One round trip for the event, its leaf and the latest checkpoint, one for the path's nodes.
  const [event] = (await db.query(
    `SELECT e.global_position::text AS position, l.leaf_index::text AS idx, l.leaf_hash,
            c.tree_size::text AS size, c.root_hash, c.signed_note, c.signature, c.key_id
       FROM es.events e
       LEFT JOIN audit.ledger_leaves l ON l.source = 'event' AND l.source_position = e.global_position
       LEFT JOIN LATERAL (SELECT * FROM audit.checkpoints ORDER BY tree_size DESC LIMIT 1) c ON true
      WHERE e.event_id = $1`,
    [eventId],
  )) as {
    position: string;
    idx: string | null;
    leaf_hash: string | null;
    size: string | null;
    root_hash: string;
    signed_note: string;
    signature: string;
    key_id: string;
  }[];
  if (!event) return null;
  if (event.idx === null || event.leaf_hash === null || event.size === null || Number(event.idx) >= Number(event.size)) return 'pending';
  const leafIndex = Number(event.idx);
  const treeSize = Number(event.size);
  const groups = inclusionPathNodes(leafIndex, treeSize);
  const stored = await readStoredNodes(db, groups.flat());
  const path = composePath(groups, (k) => {
    const hash = stored.get(nodeKey(k));
    // Written with their leaves in one transaction: absent only if someone deleted it.
    if (!hash) throw new Error(`ledger tree node ${k.level}:${k.index} is missing; run the ledger verification`);
    return hash;
  });
  return {
    eventId,
    globalPosition: event.position,
    leafIndex,
    leafHash: event.leaf_hash,
    treeSize,
    rootHash: event.root_hash,
    auditPath: path.map((p) => p.toString('hex')),
    checkpoint: { signedNote: event.signed_note, signature: event.signature, keyId: event.key_id, publicKey: signer.publicKeyPem },
  };
};
