import { CreateEventStore1764190000000 } from './1764190000000-create-event-store';
import { CreateIdempotencyKeys1764190000001 } from './1764190000001-create-idempotency-keys';

/** Every migration, in order. Listed explicitly so the compiled app never depends on file globs. */
export const MIGRATIONS = [CreateEventStore1764190000000, CreateIdempotencyKeys1764190000001];
