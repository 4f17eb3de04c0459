import type { QueryRunner } from 'typeorm';

/** An event as projections receive it: stored columns, data and metadata not yet trusted. */
export type ProjectedEvent = {
  globalPosition: string;
  transactionId: string;
  streamId: string;
  streamVersion: number;
  eventId: string;
  type: string;
  schemaVersion: number;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  recordedAt: string;
};

/**
 * A read model fed from the events. `apply` runs inside the transaction that also moves the
 * projection's checkpoint, so a batch is applied exactly once. Unknown event types must be ignored,
 * not rejected: the protocol adds types faster than read models learn them.
 */
export type Projection = {
  name: string;
  apply: (runner: QueryRunner, events: ProjectedEvent[]) => Promise<void>;
  /** Clears the read model before a rebuild. */
  reset: (runner: QueryRunner) => Promise<void>;
};
