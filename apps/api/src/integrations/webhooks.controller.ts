import { Body, Controller, Headers, Param, Post, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { InboundWebhooksService } from './inbound-webhooks.service';

type WebhookRequest = { correlationId: string; rawBody?: Buffer };

@ApiTags('webhooks')
// Public in the permission table: authenticated by its Standard Webhooks signature, not a bearer token.
@Controller('webhooks')
export class WebhooksController {
  constructor(private readonly inbound: InboundWebhooksService) {}

  @Post(':sourceId')
  @ApiOperation({
    summary:
      'An inbound webhook from a registered source: `{type, timestamp, data}` signed per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature). ' +
      'Executed at most once per webhook-id; a re-sent webhook gets the same answer.',
  })
  @ApiHeader({ name: 'webhook-id', required: true })
  @ApiHeader({ name: 'webhook-timestamp', required: true })
  @ApiHeader({ name: 'webhook-signature', required: true })
  async receive(
    @Param('sourceId') sourceId: string,
    @Body() body: unknown,
    @Headers() headers: Record<string, string | string[] | undefined>,
    @Req() req: WebhookRequest,
    @Res({ passthrough: true }) res: Response,
  ) {
    const answer = await this.inbound.receive(sourceId, req.rawBody, body, headers, req.correlationId);
    res.status(answer.status);
    if (answer.retryAfterSeconds) res.setHeader('Retry-After', String(answer.retryAfterSeconds));
    return answer.status >= 400 ? { ...(answer.body as object), correlationId: req.correlationId } : answer.body;
  }
}
