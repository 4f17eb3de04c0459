import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '@care/config';
import { SecretBox } from '@care/crypto';
import { checkUrl, eventTypeCatalogue, IntegrationsStore, parseAllowedNetworks, type AllowedNetworks, type Delivery, type Subscription } from '@care/webhooks';
import { AuditService } from '../audit/audit.service';
import type { Principal } from '../auth/token-verifier';
import { ApiError } from '../errors/api-error';
import { APP_CONFIG, DATA_SOURCE } from '../infrastructure/tokens';
import { storeCall } from './store-call';
import type { CreateSourceDto, CreateSubscriptionDto, UpdateSubscriptionDto } from './dto/integrations.dto';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DELIVERY_ID = /^dlv_[0-9a-f]{32}$/;

const notFound = (what: string): ApiError => new ApiError({ statusCode: 404, code: 'NOT_FOUND', message: `No such ${what} at your site.` });

/**
 * Admins register inbound sources and outbound subscriptions for their site; admins and auditors read
 * the delivery log. Every change is recorded in the access log (action `manage`), which the signed
 * ledger covers. Secrets are shown once, when created or rotated, and stored only sealed.
 */
@Injectable()
export class IntegrationsService {
  private readonly store: IntegrationsStore;
  private readonly allowed: AllowedNetworks;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(DATA_SOURCE) db: DataSource,
    private readonly audit: AuditService,
  ) {
    this.store = new IntegrationsStore(db, SecretBox.fromKeyFile(config.payloadCodec));
    this.allowed = parseAllowedNetworks(config.webhooks.allowedNetworks);
  }

  eventTypes() {
    return eventTypeCatalogue();
  }

  async createSource(principal: Principal, dto: CreateSourceDto, correlationId: string) {
    this.requireSite(principal, dto.siteId);
    const { source, secret } = await storeCall(() => this.store.createSource({ name: dto.name, siteId: dto.siteId, createdBy: principal.id }));
    await this.manage(principal, 'integration-source-created', { sourceId: source.sourceId, name: source.name, siteId: source.siteId }, correlationId);
    return { ...source, secret, inboundUrl: `/webhooks/${source.sourceId}` };
  }

  async listSources(principal: Principal) {
    return { sources: await storeCall(() => this.store.listSources(principal.sites)) };
  }

  async rotateSourceSecret(principal: Principal, sourceId: string, correlationId: string) {
    const source = UUID.test(sourceId) ? await storeCall(() => this.store.getSource(sourceId)) : null;
    if (!source || !principal.sites.includes(source.siteId)) throw notFound('source');
    const rotated = (await storeCall(() => this.store.rotateSourceSecret(sourceId)))!;
    await this.manage(principal, 'integration-source-secret-rotated', { sourceId }, correlationId);
    return { sourceId, secret: rotated.secret, previousSecretValidUntil: rotated.previousValidUntil };
  }

  async createSubscription(principal: Principal, dto: CreateSubscriptionDto, correlationId: string) {
    this.requireSite(principal, dto.siteId);
    this.requireUrl(dto.url);
    const { subscription, secret } = await storeCall(() =>
      this.store.createSubscription({ siteId: dto.siteId, url: dto.url, eventTypes: [...new Set(dto.eventTypes)], description: dto.description ?? null, createdBy: principal.id }),
    );
    await this.manage(principal, 'integration-subscription-created', { subscriptionId: subscription.subscriptionId, siteId: dto.siteId, eventTypes: subscription.eventTypes }, correlationId);
    return { ...subscription, secret };
  }

  async listSubscriptions(principal: Principal) {
    return { subscriptions: await storeCall(() => this.store.listSubscriptions(principal.sites)) };
  }

  async getSubscription(principal: Principal, subscriptionId: string) {
    const subscription = await this.subscriptionAtSite(principal, subscriptionId);
    return { ...subscription, operationalEvents: await storeCall(() => this.store.operationalEvents(subscriptionId)) };
  }

  async updateSubscription(principal: Principal, subscriptionId: string, dto: UpdateSubscriptionDto, correlationId: string) {
    await this.subscriptionAtSite(principal, subscriptionId);
    if (dto.url !== undefined) this.requireUrl(dto.url);
    const updated = await storeCall(() =>
      this.store.updateSubscription(subscriptionId, {
        ...(dto.url !== undefined ? { url: dto.url } : {}),
        ...(dto.eventTypes !== undefined ? { eventTypes: [...new Set(dto.eventTypes)] } : {}),
        ...(dto.enabled !== undefined ? { enabled: dto.enabled } : {}),
        ...(dto.description !== undefined ? { description: dto.description } : {}),
      }),
    );
    await this.manage(principal, 'integration-subscription-updated', { subscriptionId, changed: Object.keys(dto) }, correlationId);
    return updated;
  }

  async rotateSubscriptionSecret(principal: Principal, subscriptionId: string, correlationId: string) {
    await this.subscriptionAtSite(principal, subscriptionId);
    const rotated = (await storeCall(() => this.store.rotateSubscriptionSecret(subscriptionId)))!;
    await this.manage(principal, 'integration-subscription-secret-rotated', { subscriptionId }, correlationId);
    return { subscriptionId, secret: rotated.secret, previousSecretValidUntil: rotated.previousValidUntil };
  }

  async recover(principal: Principal, subscriptionId: string, since: string, correlationId: string) {
    await this.subscriptionAtSite(principal, subscriptionId);
    const requeued = await storeCall(() => this.store.recover(subscriptionId, new Date(since)));
    await this.manage(principal, 'integration-subscription-recovered', { subscriptionId, since, requeued }, correlationId);
    return { subscriptionId, since, requeued };
  }

  async deliveries(principal: Principal, subscriptionId: string, query: { limit?: string; before?: string }) {
    await this.subscriptionAtSite(principal, subscriptionId);
    const limit = query.limit === undefined ? 50 : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw ApiError.badRequest([{ field: 'limit', message: 'must be a whole number from 1 to 500' }], 'The query is not valid.');
    if (query.before !== undefined && !/^[1-9][0-9]{0,17}$/.test(query.before)) throw ApiError.badRequest([{ field: 'before', message: 'must be a global position' }], 'The query is not valid.');
    const page = await storeCall(() => this.store.listDeliveries({ subscriptionId }, { limit, ...(query.before ? { before: query.before } : {}) }));
    return { deliveries: page, nextBefore: page.length === limit ? page[page.length - 1]!.globalPosition : null };
  }

  async delivery(principal: Principal, deliveryId: string) {
    const delivery = await this.deliveryAtSite(principal, deliveryId);
    return { ...delivery, attemptsLog: await storeCall(() => this.store.attempts(deliveryId)) };
  }

  async deliveriesOfEvent(principal: Principal, eventId: string) {
    if (!UUID.test(eventId)) throw notFound('event');
    const all = await storeCall(() => this.store.listDeliveries({ eventId }, { limit: 500 }));
    return { eventId, deliveries: all.filter((d) => principal.sites.includes(d.siteId)) };
  }

  async redeliver(principal: Principal, deliveryId: string, correlationId: string) {
    await this.deliveryAtSite(principal, deliveryId);
    await storeCall(() => this.store.redeliver(deliveryId));
    await this.manage(principal, 'integration-delivery-redelivered', { deliveryId }, correlationId);
    return { deliveryId, status: 'pending' };
  }

  private async subscriptionAtSite(principal: Principal, subscriptionId: string): Promise<Subscription> {
    const subscription = UUID.test(subscriptionId) ? await storeCall(() => this.store.getSubscription(subscriptionId)) : null;
    if (!subscription || !principal.sites.includes(subscription.siteId)) throw notFound('subscription');
    return subscription;
  }

  private async deliveryAtSite(principal: Principal, deliveryId: string): Promise<Delivery> {
    const delivery = DELIVERY_ID.test(deliveryId) ? await storeCall(() => this.store.getDelivery(deliveryId)) : null;
    if (!delivery || !principal.sites.includes(delivery.siteId)) throw notFound('delivery');
    return delivery;
  }

  private requireSite(principal: Principal, siteId: string): void {
    if (!principal.sites.includes(siteId)) {
      throw new ApiError({ statusCode: 403, code: 'PERMISSION_DENIED', message: 'You may manage integrations only of the sites in your token.', details: { permission: 'site' } });
    }
  }

  private requireUrl(url: string): void {
    const check = checkUrl(url, this.allowed);
    if (!check.ok) throw ApiError.badRequest([{ field: 'url', message: check.reason }], 'The endpoint URL is not allowed.');
  }

  private async manage(principal: Principal, resource: string, detail: Record<string, unknown>, correlationId: string): Promise<void> {
    await this.audit.record(principal, { action: 'manage', resource, courseId: null, query: detail, outcome: 'ok', correlationId });
  }
}
