import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '@care/config';
import { SecretBox } from '@care/crypto';
import { inboundCommandOf, INBOUND_EVENT_TYPES, IntegrationsStore, verifyWebhook, type ReceivedHeaders } from '@care/webhooks';
import { AuditService } from '../audit/audit.service';
import type { Principal } from '../auth/token-verifier';
import { CoursesService } from '../courses/courses.service';
import { ApiError, type ErrorBody } from '../errors/api-error';
import { APP_CONFIG, DATA_SOURCE } from '../infrastructure/tokens';
import { storeCall } from './store-call';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const WEBHOOK_ID = /^[\x21-\x7e]{1,256}$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/;

export type WebhookAnswer = { status: number; body: unknown; retryAfterSeconds?: number };

const bad = (errors: { field: string; message: string }[]): ApiError => ApiError.badRequest(errors, 'The webhook payload is not valid.');
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Inbound webhooks: a registered source's signed request becomes one protocol command, executed at
 * most once. The signature (Standard Webhooks, over the raw bytes) is checked first; then the pair
 * (source, webhook-id) is claimed, so a re-sent webhook, also two copies at once, also on another API
 * replica, gets the stored answer. The command's id derives from the same pair: a retry after a 503
 * completes the same command and never executes a second one.
 */
@Injectable()
export class InboundWebhooksService {
  private readonly store: IntegrationsStore;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(DATA_SOURCE) db: DataSource,
    private readonly courses: CoursesService,
    private readonly audit: AuditService,
  ) {
    this.store = new IntegrationsStore(db, SecretBox.fromKeyFile(config.payloadCodec));
  }

  async receive(sourceId: string, rawBody: Buffer | undefined, body: unknown, headers: ReceivedHeaders, correlationId: string): Promise<WebhookAnswer> {
    const source = UUID.test(sourceId) ? await storeCall(() => this.store.getSource(sourceId)) : null;
    if (!source) return this.unauthenticated('unknown source', sourceId, correlationId);
    const verification = verifyWebhook({ body: rawBody ?? Buffer.alloc(0), headers, secrets: await storeCall(() => this.store.sourceSecrets(sourceId)) });
    if (!verification.ok) return this.unauthenticated(verification.reason, sourceId, correlationId);
    const webhookId = String(headers['webhook-id']);
    if (!WEBHOOK_ID.test(webhookId)) return this.answer(bad([{ field: 'webhook-id', message: 'must be 1-256 printable characters' }]));

    const principal: Principal = {
      id: `integration:${source.sourceId}`,
      name: source.name,
      role: 'integration',
      siteId: source.siteId,
      sites: [source.siteId],
      authTime: null,
    };
    const requestHash = createHash('sha256')
      .update(rawBody ?? Buffer.alloc(0))
      .digest('hex');
    const receipt = await storeCall(() => this.store.claimReceipt(sourceId, webhookId, requestHash));
    if (!receipt.sameRequest) {
      return this.answer(new ApiError({ statusCode: 409, code: 'WEBHOOK_ID_REUSED', message: 'This webhook-id was already used for a different payload.' }));
    }
    if (receipt.status !== null) return { status: receipt.status, body: receipt.answer };

    const answer = await this.execute(principal, webhookId, body, correlationId);
    // Final answers are kept; "try again later" ones are not (the retry completes the same command).
    if (answer.status < 500) await storeCall(() => this.store.storeAnswer(sourceId, webhookId, answer.status, answer.body));
    return answer;
  }

  private async execute(principal: Principal, webhookId: string, body: unknown, correlationId: string): Promise<WebhookAnswer> {
    if (!isRecord(body)) return this.answer(bad([{ field: '', message: 'must be a JSON object {type, timestamp, data}' }]));
    const problems: { field: string; message: string }[] = [];
    for (const key of Object.keys(body)) if (!['type', 'timestamp', 'data'].includes(key)) problems.push({ field: key, message: 'is not a field of a webhook' });
    const command = typeof body['type'] === 'string' ? inboundCommandOf(body['type']) : undefined;
    if (!command) problems.push({ field: 'type', message: `must be one of ${INBOUND_EVENT_TYPES.map((t) => t.type).join(', ')}` });
    if (typeof body['timestamp'] !== 'string' || !ISO_UTC.test(body['timestamp']) || Number.isNaN(Date.parse(body['timestamp']))) {
      problems.push({ field: 'timestamp', message: 'must be a date-time such as 2026-01-31T14:05:00Z' });
    }
    const data = body['data'];
    if (!isRecord(data)) problems.push({ field: 'data', message: 'must be a JSON object' });
    else {
      if (typeof data['courseId'] !== 'string' || data['courseId'] === '') problems.push({ field: 'data.courseId', message: 'is required' });
      if ('signature' in data) problems.push({ field: 'data.signature', message: 'an integration cannot sign; steps that need a signature are recorded by staff' });
    }
    if (problems.length > 0 || !command || !isRecord(data)) return this.answer(bad(problems));

    const { courseId, ...fields } = data as { courseId: string } & Record<string, unknown>;
    const commandKey = `wh_${createHash('sha256').update(`${principal.id}|${webhookId}`).digest('hex').slice(0, 40)}`;
    try {
      const result = await this.courses.submit(principal, courseId, { type: command, data: fields }, correlationId, commandKey);
      if (result.status === 202) {
        return {
          status: 503,
          retryAfterSeconds: 30,
          body: { statusCode: 503, code: 'SERVICE_UNAVAILABLE', message: 'The step is being recorded; send this webhook again to learn its outcome. It is executed at most once.', details: { retryable: true } },
        };
      }
      // What was recorded, without the course's clinical state (the source reads that through the API).
      const events = (result.body.events ?? []).map((e) => ({ eventId: e.eventId, type: e.type, streamVersion: e.streamVersion }));
      return { status: 200, body: { webhookId, courseId, command, events } };
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      const { statusCode, code } = error.body;
      // The protocol's refusals (a role it does not grant included) are 422, with its code and sentence.
      if (error.isRefusal && statusCode !== 404 && statusCode < 500 && !code.startsWith('RECORD_')) {
        return this.answer(new ApiError({ ...error.body, statusCode: 422 }));
      }
      return this.answer(error);
    }
  }

  private answer(error: ApiError): WebhookAnswer {
    const body: Omit<ErrorBody, 'correlationId'> = error.body;
    return { status: body.statusCode, body };
  }

  /** One body for every authentication failure; the reason goes only to the access log. */
  private async unauthenticated(reason: string, sourceId: string, correlationId: string): Promise<WebhookAnswer> {
    await this.audit.recordDenial(null, { action: 'authenticate', resource: `webhook:${sourceId.slice(0, 64)}`, reason, correlationId });
    return this.answer(new ApiError({ statusCode: 401, code: 'UNAUTHENTICATED', message: 'The webhook signature could not be verified.' }));
  }
}
