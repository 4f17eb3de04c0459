import type { DataSource, QueryRunner } from 'typeorm';
import type { EventRow } from '../event-store';
import { SAFE_HORIZON } from '../ledger/ledger-integrator';
import type { ProjectedEvent, Projection } from './projection';

type Row = Omit<EventRow, 'prev_hash' | 'hash'> & { transaction_id: string };

/** Where a projection stands and how far behind the log it is. */
export type ProjectionStatus = { name: string; lastGlobalPosition: string; eventsProcessed: string; eventsBehind: number; updatedAt: string | null };

/**
 * Reads events after (transaction id, position) in xmin-safe order: only transactions older than
 * every running one, so an event that commits late with a lower position is never skipped.
 */
export const readEventsAfter = async (runner: QueryRunner | DataSource, cursor: { txid: string; position: string }, limit: number): Promise<ProjectedEvent[]> => {
  const rows = (await runner.query(
    // Qualified names in ORDER BY: unqualified ones would sort by the ::text output columns.
    `SELECT e.global_position::text, e.transaction_id::text, e.stream_id, e.stream_version::text, e.event_id::text, e.event_type, e.schema_version,
            e.data, e.metadata, e.recorded_at
       FROM es.events e
      WHERE (e.transaction_id, e.global_position) > ($1::xid8, $2::bigint) AND e.transaction_id < ${SAFE_HORIZON}
      ORDER BY e.transaction_id, e.global_position LIMIT $3`,
    [cursor.txid, cursor.position, limit],
  )) as Row[];
  return rows.map((r) => ({
    globalPosition: r.global_position,
    transactionId: r.transaction_id,
    streamId: r.stream_id,
    streamVersion: Number(r.stream_version),
    eventId: r.event_id,
    type: r.event_type,
    schemaVersion: r.schema_version,
    data: r.data,
    metadata: r.metadata,
    recordedAt: r.recorded_at.toISOString(),
  }));
};

const oneBatch = async (db: DataSource, projection: Projection, batchSize: number): Promise<number> => {
  const runner = db.createQueryRunner();
  await runner.connect();
  try {
    await runner.startTransaction();
    await runner.query(`INSERT INTO es.projection_checkpoints (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`, [projection.name]);
    // The row lock serialises runners of one projection (worker replicas, a rebuild from the CLI).
    const [cp] = (await runner.query(
      `SELECT last_transaction_id::text AS txid, last_global_position::text AS position FROM es.projection_checkpoints WHERE name = $1 FOR UPDATE`,
      [projection.name],
    )) as { txid: string; position: string }[];
    const events = await readEventsAfter(runner, cp!, batchSize);
    if (events.length > 0) {
      await projection.apply(runner, events);
      const last = events[events.length - 1]!;
      await runner.query(
        `UPDATE es.projection_checkpoints SET last_transaction_id = $2::xid8, last_global_position = $3, events_processed = events_processed + $4,
                status = 'running', updated_at = now() WHERE name = $1`,
        [projection.name, last.transactionId, last.globalPosition, events.length],
      );
    }
    await runner.commitTransaction();
    return events.length;
  } catch (error) {
    if (runner.isTransactionActive) await runner.rollbackTransaction();
    throw error;
  } finally {
    await runner.release();
  }
};

/** Applies every settled event not yet seen by the projection. Returns how many were applied. */
export const runProjection = async (db: DataSource, projection: Projection, options: { batchSize?: number; onBatch?: (applied: number) => void } = {}): Promise<number> => {
  const batchSize = options.batchSize ?? 1000;
  let total = 0;
  for (;;) {
    const n = await oneBatch(db, projection, batchSize);
    total += n;
    if (n > 0) options.onBatch?.(total);
    if (n < batchSize) return total;
  }
};

/** Clears the read model and its checkpoint, then replays every event into it. */
export const rebuildProjection = async (db: DataSource, projection: Projection, options: { batchSize?: number; onBatch?: (applied: number) => void } = {}): Promise<number> => {
  const runner = db.createQueryRunner();
  await runner.connect();
  try {
    await runner.startTransaction();
    await runner.query(`INSERT INTO es.projection_checkpoints (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`, [projection.name]);
    await runner.query(`SELECT 1 FROM es.projection_checkpoints WHERE name = $1 FOR UPDATE`, [projection.name]);
    await projection.reset(runner);
    await runner.query(
      `UPDATE es.projection_checkpoints SET last_transaction_id = '0', last_global_position = 0, events_processed = 0, status = 'rebuilding', updated_at = now()
        WHERE name = $1`,
      [projection.name],
    );
    await runner.commitTransaction();
  } catch (error) {
    if (runner.isTransactionActive) await runner.rollbackTransaction();
    throw error;
  } finally {
    await runner.release();
  }
  return runProjection(db, projection, options);
};

/** Each projection's position and how many settled events it has not applied yet (its lag). */
export const projectionStatus = async (db: DataSource, projections: Projection[]): Promise<ProjectionStatus[]> => {
  const rows = (await db.query(
    `SELECT p.name, c.last_global_position::text AS position, c.events_processed::text AS processed, c.updated_at,
            (SELECT count(*)::int FROM es.events e
              WHERE (e.transaction_id, e.global_position) > (COALESCE(c.last_transaction_id, '0'::xid8), COALESCE(c.last_global_position, 0))) AS behind
       FROM unnest($1::text[]) AS p (name) LEFT JOIN es.projection_checkpoints c ON c.name = p.name ORDER BY p.name`,
    [projections.map((p) => p.name)],
  )) as { name: string; position: string | null; processed: string | null; updated_at: Date | null; behind: number }[];
  return rows.map((r) => ({
    name: r.name,
    lastGlobalPosition: r.position ?? '0',
    eventsProcessed: r.processed ?? '0',
    eventsBehind: r.behind,
    updatedAt: r.updated_at ? r.updated_at.toISOString() : null,
  }));
};
