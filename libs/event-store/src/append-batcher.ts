import type { DataSource } from 'typeorm';
import { HASH_ALGORITHM } from './hash-chain';

/** One append, hashed and ready: what `es.append_events` takes for one stream. */
export type PreparedAppend = {
  streamId: string;
  streamType: string;
  expectedVersion: number;
  prevHash: string;
  events: {
    id: string;
    type: string;
    schemaVersion: number;
    data: string;
    metadata: string;
    recordedAt: string;
    prevHash: string;
    hash: string;
    clinicalTime: string | null;
    lateEntry: string | null;
  }[];
};

export type StoredRow = { global_position: string; stream_version: string; event_id: string; recorded_at: Date; hash: string };

/** An append the database refused; `code` is its SQLSTATE (ES409: the stream is not at the expected version). */
export class AppendRefusedError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'AppendRefusedError';
  }
}

type Waiting = { append: PreparedAppend; resolve: (rows: StoredRow[]) => void; reject: (error: unknown) => void };

/** Appends per statement at most: bounds the statement's size and the wait of its last writer. */
const MAX_APPENDS_PER_BATCH = 200;

/**
 * Group commit for appends. While one batch is being written, the appends that arrive wait and go
 * together in the next one (`es.append_batch`: one statement, one commit, each append in its own
 * subtransaction). A lone append goes at once, so nothing waits when there is nothing to share.
 * An append's promise settles only after its batch committed (or failed as a whole).
 */
export class AppendBatcher {
  private readonly waiting: Waiting[] = [];
  private writing = false;

  constructor(private readonly db: DataSource) {}

  submit(append: PreparedAppend): Promise<StoredRow[]> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ append, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.waiting.length > 0) await this.write(this.waiting.splice(0, MAX_APPENDS_PER_BATCH));
    } finally {
      this.writing = false;
    }
  }

  private async write(batch: Waiting[]): Promise<void> {
    const appends = batch.map((w) => w.append);
    const events = appends.flatMap((a) => a.events);
    let rows: (StoredRow & { append_index: number; error_code: string | null; error_message: string | null })[];
    try {
      rows = (await this.db.query(
        `SELECT * FROM es.append_batch($1::text[], $2::text[], $3::bigint[], $4::text[], $5::integer[], $6::uuid[], $7::text[], $8::integer[],
                                       $9::jsonb[], $10::jsonb[], $11::timestamptz[], $12::text[], $13::text[], $14, $15::text[], $16::jsonb[])`,
        [
          appends.map((a) => a.streamId),
          appends.map((a) => a.streamType),
          appends.map((a) => a.expectedVersion),
          appends.map((a) => a.prevHash),
          appends.map((a) => a.events.length),
          events.map((e) => e.id),
          events.map((e) => e.type),
          events.map((e) => e.schemaVersion),
          events.map((e) => e.data),
          events.map((e) => e.metadata),
          events.map((e) => e.recordedAt),
          events.map((e) => e.prevHash),
          events.map((e) => e.hash),
          HASH_ALGORITHM,
          events.map((e) => e.clinicalTime),
          events.map((e) => e.lateEntry),
        ],
      )) as typeof rows;
    } catch (error) {
      // The batch did not commit (or its commit is unknown): every writer gets the error and retries
      // (appends are idempotent by event id).
      for (const w of batch) w.reject(error);
      return;
    }
    const byAppend = new Map<number, typeof rows>();
    for (const row of rows) byAppend.set(row.append_index, [...(byAppend.get(row.append_index) ?? []), row]);
    batch.forEach((w, i) => {
      const own = byAppend.get(i + 1) ?? [];
      const failed = own.find((r) => r.error_code !== null);
      if (failed) w.reject(new AppendRefusedError(failed.error_code!, failed.error_message ?? 'append refused'));
      else if (own.length !== w.append.events.length) w.reject(new Error(`append_batch returned ${own.length} rows for ${w.append.events.length} events`));
      else w.resolve(own);
    });
  }
}
