/**
 * The answers of the API's /integrations routes, as IntegrationsService returns them: the stored shapes
 * are imported from libs/webhooks as types (nothing of the server is bundled), the answers around them
 * declared here.
 */
import type { Delivery, DeliveryAttempt, DeliveryStatus, OperationalEvent, SecretInfo, Source, Subscription } from '@care/webhooks';

export type { Delivery, DeliveryAttempt, DeliveryStatus, OperationalEvent, SecretInfo, Source, Subscription };

export type SourceList = { sources: Source[] };
/** POST /integrations/sources: the source, its secret (shown once) and the path it receives webhooks on. */
export type CreatedSource = Source & { secret: string; inboundUrl: string };

export type SubscriptionList = { subscriptions: Subscription[] };
export type CreatedSubscription = Subscription & { secret: string };

export type SubscriptionDetail = Subscription & { operationalEvents: OperationalEvent[] };

/** The rotate-secret answer of a source or a subscription. */
export type RotatedSecret = { sourceId?: string; subscriptionId?: string; secret: string; previousSecretValidUntil: string };

export type UpdateSubscriptionBody = { url?: string; eventTypes?: string[]; enabled?: boolean; description?: string };

export type RecoverAnswer = { subscriptionId: string; since: string; requeued: number };

/** GET /integrations/subscriptions/:id/deliveries: newest first; `nextBefore` continues with older ones. */
export type DeliveryPage = { deliveries: Delivery[]; nextBefore: string | null };
export type EventDeliveries = { eventId: string; deliveries: Delivery[] };

export type DeliveryDetail = Delivery & { attemptsLog: DeliveryAttempt[] };

export type RedeliverAnswer = { deliveryId: string; status: DeliveryStatus };

export type OutboundEventType = { type: string; description: string; dataSchema: Record<string, unknown> };
export type InboundEventType = { type: string; description: string; command: string; dataSchema: Record<string, unknown> };
export type EventTypeCatalogue = { outbound: OutboundEventType[]; inbound: InboundEventType[] };
