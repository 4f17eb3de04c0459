/**
 * The answers of the API's /integrations routes, as IntegrationsService returns them (shapes from
 * libs/webhooks/src/store/integrations-store.ts and catalogue.ts). Declared here rather than imported:
 * the console bundles no server code.
 */

/** A secret as the API shows it: never its value, only when it was made and until when it verifies. */
export type SecretInfo = { createdAt: string; expiresAt: string | null };

export type Source = { sourceId: string; name: string; siteId: string; createdBy: string; createdAt: string; secrets: SecretInfo[] };
export type SourceList = { sources: Source[] };
/** POST /integrations/sources: the source, its secret (shown once) and the path it receives webhooks on. */
export type CreatedSource = Source & { secret: string; inboundUrl: string };

export type Subscription = {
  subscriptionId: string;
  siteId: string;
  url: string;
  eventTypes: string[];
  description: string | null;
  enabled: boolean;
  disabledReason: string | null;
  disabledAt: string | null;
  failingSince: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  secrets: SecretInfo[];
};
export type SubscriptionList = { subscriptions: Subscription[] };
export type CreatedSubscription = Subscription & { secret: string };

export type OperationalEvent = { id: string; subscriptionId: string | null; type: string; detail: Record<string, unknown>; recordedAt: string };
export type SubscriptionDetail = Subscription & { operationalEvents: OperationalEvent[] };

/** The rotate-secret answer of a source or a subscription. */
export type RotatedSecret = { sourceId?: string; subscriptionId?: string; secret: string; previousSecretValidUntil: string };

export type UpdateSubscriptionBody = { url?: string; eventTypes?: string[]; enabled?: boolean; description?: string };

export type RecoverAnswer = { subscriptionId: string; since: string; requeued: number };

export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'skipped';

export type Delivery = {
  deliveryId: string;
  subscriptionId: string;
  eventId: string;
  globalPosition: string;
  courseId: string;
  siteId: string;
  eventType: string;
  payload: unknown;
  status: DeliveryStatus;
  /** How many times its retry schedule was started (1 + redeliveries and recoveries). */
  runs: number;
  /** Attempts over all runs. */
  attempts: number;
  createdAt: string;
  lastAttemptAt: string | null;
  deliveredAt: string | null;
};

/** GET /integrations/subscriptions/:id/deliveries: newest first; `nextBefore` continues with older ones. */
export type DeliveryPage = { deliveries: Delivery[]; nextBefore: string | null };
export type EventDeliveries = { eventId: string; deliveries: Delivery[] };

export type DeliveryAttempt = {
  attempt: number;
  run: number;
  attemptedAt: string;
  statusCode: number | null;
  error: string | null;
  latencyMs: number;
  responseExcerpt: string | null;
};
export type DeliveryDetail = Delivery & { attemptsLog: DeliveryAttempt[] };

export type RedeliverAnswer = { deliveryId: string; status: DeliveryStatus };

export type OutboundEventType = { type: string; description: string; dataSchema: Record<string, unknown> };
export type InboundEventType = { type: string; description: string; command: string; dataSchema: Record<string, unknown> };
export type EventTypeCatalogue = { outbound: OutboundEventType[]; inbound: InboundEventType[] };
