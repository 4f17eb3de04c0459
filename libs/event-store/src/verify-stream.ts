import type { StoredEvent } from './event-store';
import { eventHash, GENESIS_HASH } from './hash-chain';

export type StreamVerification = { ok: true; checked: number } | { ok: false; checked: number; firstBadVersion: number; reason: string };

/** Recomputes a stream's hash chain and names the first version that does not match. */
export const verifyStream = (events: StoredEvent[]): StreamVerification => {
  let prev = GENESIS_HASH;
  for (const [i, e] of events.entries()) {
    const expectedVersion = i + 1;
    if (e.streamVersion !== expectedVersion) {
      return { ok: false, checked: i, firstBadVersion: expectedVersion, reason: 'version missing' };
    }
    if (e.prevHash !== prev) return { ok: false, checked: i, firstBadVersion: e.streamVersion, reason: 'broken link' };
    const hash = eventHash({
      streamId: e.streamId,
      streamVersion: e.streamVersion,
      eventId: e.eventId,
      eventType: e.type,
      schemaVersion: e.schemaVersion,
      data: e.data,
      metadata: e.metadata,
      prevHash: e.prevHash,
    });
    if (hash !== e.hash) return { ok: false, checked: i, firstBadVersion: e.streamVersion, reason: 'content changed' };
    prev = e.hash;
  }
  return { ok: true, checked: events.length };
};
