import type { DataSource } from 'typeorm';
import { auditColumnsOf } from './audit-columns/audit-columns';
import { AppendBatcher, AppendRefusedError, type StoredRow } from './append-batcher';
import { eventHash, eventIdFor, GENESIS_HASH } from './hash-chain';

/** An event as a writer hands it over: type, schema version, data and metadata. */
export type NewEvent = {
  type: string;
  schemaVersion: number;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
};

/** An event as stored, with its position in the stream and in the global log. */
export type StoredEvent = NewEvent & {
  globalPosition: string;
  streamId: string;
  streamVersion: number;
  eventId: string;
  recordedAt: string;
  prevHash: string;
  hash: string;
};

export type AppendResult = { globalPosition: string; streamVersion: number; eventId: string; recordedAt: string; hash: string };

/** Another writer moved the stream on; the caller's decision was based on a stale version. */
export class StreamVersionConflictError extends Error {
  constructor(readonly streamId: string, readonly expectedVersion: number) {
    super(`stream ${streamId} is not at version ${expectedVersion}`);
    this.name = 'StreamVersionConflictError';
  }
}

/** A row of `es.events` as the pg driver returns it; shared by every reader of the table. */
export type EventRow = {
  global_position: string;
  stream_id: string;
  stream_version: string;
  event_id: string;
  event_type: string;
  schema_version: number;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  recorded_at: Date;
  prev_hash: string;
  hash: string;
};

const EVENT_COLUMNS =
  'global_position, stream_id, stream_version, event_id, event_type, schema_version, data, metadata, recorded_at, prev_hash, hash';

const toStored = (r: EventRow): StoredEvent => ({
  globalPosition: String(r.global_position),
  streamId: r.stream_id,
  streamVersion: Number(r.stream_version),
  eventId: r.event_id,
  type: r.event_type,
  schemaVersion: r.schema_version,
  data: r.data,
  metadata: r.metadata,
  recordedAt: r.recorded_at.toISOString(),
  prevHash: r.prev_hash,
  hash: r.hash,
});

/** How many streams' last hashes one store remembers (a course worker appends to a few hundred at a time). */
const LAST_HASH_CACHE_SIZE = 10_000;

/** Append-only access to `es.events`. Appends are idempotent per (stream, version). */
export class EventStore {
  /**
   * The hash at the version this store last appended or read per stream. A hash at a version never
   * changes (append-only), so a hit is always right; if the stream moved on meanwhile, the append's
   * compare-and-set refuses it as a conflict, as it would have anyway. Saves a round trip per append.
   */
  private readonly lastHashes = new Map<string, { version: number; hash: string }>();

  private readonly batcher: AppendBatcher;

  constructor(private readonly db: DataSource, private readonly clock: () => Date = () => new Date()) {
    this.batcher = new AppendBatcher(db);
  }

  private rememberHash(streamId: string, version: number, hash: string): void {
    this.lastHashes.delete(streamId);
    this.lastHashes.set(streamId, { version, hash });
    // A Map iterates in insertion order: the first key is the least recently used.
    if (this.lastHashes.size > LAST_HASH_CACHE_SIZE) this.lastHashes.delete(this.lastHashes.keys().next().value!);
  }

  private async hashAt(streamId: string, version: number): Promise<string | undefined> {
    if (version === 0) return GENESIS_HASH;
    const known = this.lastHashes.get(streamId);
    if (known?.version === version) return known.hash;
    const rows = (await this.db.query('SELECT hash FROM es.events WHERE stream_id = $1 AND stream_version = $2', [streamId, version])) as { hash: string }[];
    return rows[0]?.hash;
  }

  /**
   * Appends events at `expectedVersion + 1 ...`. Retrying an append that already committed returns the
   * stored rows; appending on a stream that moved on throws {@link StreamVersionConflictError}.
   */
  async append(streamId: string, streamType: string, expectedVersion: number, events: NewEvent[]): Promise<AppendResult[]> {
    if (events.length === 0) return [];
    const prevHash = await this.hashAt(streamId, expectedVersion);
    if (prevHash === undefined) throw new StreamVersionConflictError(streamId, expectedVersion);

    const recordedAt = this.clock().toISOString();
    const rows: { id: string; metadata: Record<string, unknown>; prev: string; hash: string }[] = [];
    let prev = prevHash;
    events.forEach((event, i) => {
      const streamVersion = expectedVersion + i + 1;
      const id = eventIdFor(streamId, streamVersion);
      const metadata = { ...event.metadata, recordedAt };
      const hash = eventHash({
        streamId,
        streamVersion,
        eventId: id,
        eventType: event.type,
        schemaVersion: event.schemaVersion,
        data: event.data,
        metadata,
        prevHash: prev,
      });
      rows.push({ id, metadata, prev, hash });
      prev = hash;
    });

    const audit = events.map((e, i) => auditColumnsOf(e.type, e.data, rows[i]!.metadata));
    let result: StoredRow[];
    try {
      result = await this.batcher.submit({
        streamId,
        streamType,
        expectedVersion,
        prevHash,
        events: events.map((e, i) => ({
          id: rows[i]!.id,
          type: e.type,
          schemaVersion: e.schemaVersion,
          data: JSON.stringify(e.data),
          metadata: JSON.stringify(rows[i]!.metadata),
          recordedAt,
          prevHash: rows[i]!.prev,
          hash: rows[i]!.hash,
          clinicalTime: audit[i]!.clinicalTime,
          lateEntry: audit[i]!.lateEntry ? JSON.stringify(audit[i]!.lateEntry) : null,
        })),
      });
    } catch (error) {
      if (error instanceof AppendRefusedError && (error.code === 'ES409' || error.code === '23505')) {
        throw new StreamVersionConflictError(streamId, expectedVersion);
      }
      throw error;
    }
    const last = result[result.length - 1];
    if (last) this.rememberHash(streamId, Number(last.stream_version), last.hash);
    return result.map((r) => ({
      globalPosition: String(r.global_position),
      streamVersion: Number(r.stream_version),
      eventId: r.event_id,
      recordedAt: r.recorded_at.toISOString(),
      hash: r.hash,
    }));
  }

  /** The events of one stream from `fromVersion` to `toVersion` (inclusive), oldest first. */
  async readStream(streamId: string, fromVersion = 1, toVersion = Number.MAX_SAFE_INTEGER): Promise<StoredEvent[]> {
    const rows = (await this.db.query(
      `SELECT ${EVENT_COLUMNS} FROM es.events WHERE stream_id = $1 AND stream_version BETWEEN $2 AND $3 ORDER BY stream_version`,
      [streamId, fromVersion, toVersion],
    )) as EventRow[];
    return rows.map(toStored);
  }

  /** The events one command recorded: those whose metadata carries its `commandId` (indexed). */
  async readCommandEvents(streamId: string, commandId: string): Promise<StoredEvent[]> {
    const rows = (await this.db.query(
      `SELECT ${EVENT_COLUMNS} FROM es.events
        WHERE stream_id = $1 AND metadata ? 'commandId' AND metadata ->> 'commandId' = $2 ORDER BY stream_version`,
      [streamId, commandId],
    )) as EventRow[];
    return rows.map(toStored);
  }

  /** The stream's current version, 0 when it does not exist. */
  async streamVersion(streamId: string): Promise<number> {
    const rows = (await this.db.query('SELECT version FROM es.streams WHERE stream_id = $1', [streamId])) as { version: string }[];
    return rows[0] ? Number(rows[0].version) : 0;
  }
}
