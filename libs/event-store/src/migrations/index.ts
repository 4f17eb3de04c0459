import { CreateEventStore1764190000000 } from './1764190000000-create-event-store';
import { CreateIdempotencyKeys1764190000001 } from './1764190000001-create-idempotency-keys';
import { CreateAuditLedger1764200000000 } from './1764200000000-create-audit-ledger';
import { CreateProjections1764200000001 } from './1764200000001-create-projections';
import { CreateDatabaseRoles1764200000002 } from './1764200000002-create-database-roles';
import { CreateNotificationOutbox1764210000000 } from './1764210000000-create-notification-outbox';
import { CreateCommandReceipts1764300000000 } from './1764300000000-create-command-receipts';
import { CreateIntegrations1764300000001 } from './1764300000001-create-integrations';
import { CreateActiveCourses1764300000002 } from './1764300000002-create-active-courses';
import { WorklistOpenEnded1764400000000 } from './1764400000000-worklist-open-ended';
import { AuditFilterColumns1764500000000 } from './1764500000000-audit-filter-columns';
import { AppendBatch1764500000002 } from './1764500000002-append-batch';
import { LedgerNodes1764500000001 } from './1764500000001-ledger-nodes';
import { SharedRateLimits1764600000000 } from './1764600000000-shared-rate-limits';
import { PendingDeliveriesIndex1764600000001 } from './1764600000001-pending-deliveries-index';

/** Every migration, in order. Listed explicitly so the compiled app never depends on file globs. */
export const MIGRATIONS = [
  CreateEventStore1764190000000,
  CreateIdempotencyKeys1764190000001,
  CreateAuditLedger1764200000000,
  CreateProjections1764200000001,
  CreateDatabaseRoles1764200000002,
  CreateNotificationOutbox1764210000000,
  CreateCommandReceipts1764300000000,
  CreateIntegrations1764300000001,
  CreateActiveCourses1764300000002,
  WorklistOpenEnded1764400000000,
  AuditFilterColumns1764500000000,
  LedgerNodes1764500000001,
  AppendBatch1764500000002,
  SharedRateLimits1764600000000,
  PendingDeliveriesIndex1764600000001,
];
