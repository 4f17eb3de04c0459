import type { DataSource } from 'typeorm';
import { type CheckpointSigner, integrateLedger, PROJECTIONS, runProjection } from '@care/event-store';

/**
 * Runs every projection and the ledger integrator until they have taken in all events of `streamIds`.
 *
 * One pass is not enough: both only read transactions older than every running one, and the suites share
 * the database, so another suite's open transaction can hold back events this one just appended.
 */
export const catchUpReadModels = async (
  db: DataSource,
  signer: CheckpointSigner,
  origin: string,
  streamIds: string[],
  timeoutMs = 60_000,
): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const p of PROJECTIONS) await runProjection(db, p);
    await integrateLedger(db, signer, { origin });
    const [pending] = (await db.query(
      `SELECT (SELECT count(*)::int FROM es.events e JOIN es.projection_checkpoints c ON c.name = ANY($2::text[])
                WHERE e.stream_id = ANY($1::text[]) AND (e.transaction_id, e.global_position) > (c.last_transaction_id, c.last_global_position)) AS projections,
              (SELECT count(*)::int FROM es.events e
                WHERE e.stream_id = ANY($1::text[])
                  AND NOT EXISTS (SELECT 1 FROM audit.ledger_leaves l WHERE l.source = 'event' AND l.source_position = e.global_position)) AS ledger`,
      [streamIds, PROJECTIONS.map((p) => p.name)],
    )) as { projections: number; ledger: number }[];
    if (pending!.projections === 0 && pending!.ledger === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`read models still behind after ${timeoutMs} ms: ${pending!.projections} event(s) not yet projected, ${pending!.ledger} not yet in the ledger`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};
