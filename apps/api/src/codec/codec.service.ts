import { Inject, Injectable } from '@nestjs/common';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { AuditService } from '../audit/audit.service';
import type { Principal } from '../auth/token-verifier';
import { ApiError } from '../errors/api-error';
import { PAYLOAD_CODEC } from '../infrastructure/tokens';

/** A payload in the JSON form of Temporal's codec-server protocol: metadata values and data in base64. */
export type JsonPayload = { metadata?: Record<string, string>; data?: string };

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const fromJson = (p: JsonPayload, index: number): Payload => {
  const values = [...Object.values(p.metadata ?? {}), p.data ?? ''];
  if (!values.every((v) => typeof v === 'string' && BASE64.test(v))) {
    throw ApiError.badRequest([{ field: `payloads.${index}`, message: 'metadata values and data must be base64 strings' }]);
  }
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))])),
    data: new Uint8Array(Buffer.from(p.data ?? '', 'base64')),
  };
};

const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

/**
 * The codec server the Temporal UI calls to show encrypted history in the clear. Decoding hands out
 * clinical data, so every decode is written to the access log first (like any other read).
 */
@Injectable()
export class CodecService {
  constructor(@Inject(PAYLOAD_CODEC) private readonly codec: PayloadCodec, private readonly audit: AuditService) {}

  async encode(payloads: JsonPayload[]): Promise<{ payloads: JsonPayload[] }> {
    return { payloads: (await this.codec.encode(payloads.map(fromJson))).map(toJson) };
  }

  async decode(principal: Principal, payloads: JsonPayload[], correlationId: string): Promise<{ payloads: JsonPayload[] }> {
    const input = payloads.map(fromJson);
    let decoded: Payload[];
    try {
      decoded = await this.codec.decode(input);
    } catch {
      // Tampered or of a retired key: say so without details.
      throw new ApiError({ statusCode: 422, code: 'PAYLOAD_UNREADABLE', message: 'A payload could not be decrypted with the configured keys.' });
    }
    await this.audit.record(principal, { action: 'read', resource: 'temporal-payloads', query: { count: payloads.length }, outcome: 'ok', correlationId });
    return { payloads: decoded.map(toJson) };
  }
}
