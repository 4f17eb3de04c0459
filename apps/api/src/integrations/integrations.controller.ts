import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import type { Principal } from '../auth/token-verifier';
import { CreateSourceDto, CreateSubscriptionDto, RecoverDto, UpdateSubscriptionDto } from './dto/integrations.dto';
import { IntegrationsService } from './integrations.service';

type RequestWithCorrelation = { correlationId: string };

@ApiTags('integrations')
@ApiBearerAuth()
@Controller('integrations')
export class IntegrationsController {
  constructor(private readonly integrations: IntegrationsService) {}

  @Get('event-types')
  @ApiOperation({ summary: 'The catalogue of inbound and outbound webhook event types, with the JSON Schema of each `data`.' })
  eventTypes() {
    return this.integrations.eventTypes();
  }

  @Post('sources')
  @ApiOperation({ summary: 'Register an inbound source for a site. The secret is shown once.' })
  createSource(@CurrentPrincipal() p: Principal, @Body() body: CreateSourceDto, @Req() req: RequestWithCorrelation) {
    return this.integrations.createSource(p, body, req.correlationId);
  }

  @Get('sources')
  @ApiOperation({ summary: 'The inbound sources of your sites (never their secrets).' })
  listSources(@CurrentPrincipal() p: Principal) {
    return this.integrations.listSources(p);
  }

  @Post('sources/:sourceId/rotate-secret')
  @HttpCode(200)
  @ApiOperation({ summary: 'A new secret for a source; the previous one keeps verifying for 24 hours.' })
  rotateSourceSecret(@CurrentPrincipal() p: Principal, @Param('sourceId') id: string, @Req() req: RequestWithCorrelation) {
    return this.integrations.rotateSourceSecret(p, id, req.correlationId);
  }

  @Post('subscriptions')
  @ApiOperation({ summary: 'Subscribe an endpoint of a site to outbound event types. The secret is shown once.' })
  createSubscription(@CurrentPrincipal() p: Principal, @Body() body: CreateSubscriptionDto, @Req() req: RequestWithCorrelation) {
    return this.integrations.createSubscription(p, body, req.correlationId);
  }

  @Get('subscriptions')
  @ApiOperation({ summary: 'The subscriptions of your sites.' })
  listSubscriptions(@CurrentPrincipal() p: Principal) {
    return this.integrations.listSubscriptions(p);
  }

  @Get('subscriptions/:subscriptionId')
  @ApiOperation({ summary: 'One subscription, with its operational events (e.g. disabled after failing).' })
  getSubscription(@CurrentPrincipal() p: Principal, @Param('subscriptionId') id: string) {
    return this.integrations.getSubscription(p, id);
  }

  @Patch('subscriptions/:subscriptionId')
  @ApiOperation({ summary: 'Change the URL or event types, disable or enable.' })
  updateSubscription(@CurrentPrincipal() p: Principal, @Param('subscriptionId') id: string, @Body() body: UpdateSubscriptionDto, @Req() req: RequestWithCorrelation) {
    return this.integrations.updateSubscription(p, id, body, req.correlationId);
  }

  @Post('subscriptions/:subscriptionId/rotate-secret')
  @HttpCode(200)
  @ApiOperation({ summary: 'A new signing secret; deliveries are signed with both for 24 hours.' })
  rotateSubscriptionSecret(@CurrentPrincipal() p: Principal, @Param('subscriptionId') id: string, @Req() req: RequestWithCorrelation) {
    return this.integrations.rotateSubscriptionSecret(p, id, req.correlationId);
  }

  @Post('subscriptions/:subscriptionId/recover')
  @HttpCode(200)
  @ApiOperation({ summary: 'Send again every failed or skipped delivery since a time (after the endpoint is fixed).' })
  recover(@CurrentPrincipal() p: Principal, @Param('subscriptionId') id: string, @Body() body: RecoverDto, @Req() req: RequestWithCorrelation) {
    return this.integrations.recover(p, id, body.since, req.correlationId);
  }

  @Get('subscriptions/:subscriptionId/deliveries')
  @ApiOperation({ summary: 'Deliveries of a subscription, newest first (`limit`, `before` = a globalPosition).' })
  deliveries(@CurrentPrincipal() p: Principal, @Param('subscriptionId') id: string, @Query('limit') limit?: string, @Query('before') before?: string) {
    return this.integrations.deliveries(p, id, { ...(limit !== undefined ? { limit } : {}), ...(before !== undefined ? { before } : {}) });
  }

  @Get('deliveries/:deliveryId')
  @ApiOperation({ summary: 'One delivery with every attempt (time, status code or error, latency, response excerpt).' })
  delivery(@CurrentPrincipal() p: Principal, @Param('deliveryId') id: string) {
    return this.integrations.delivery(p, id);
  }

  @Get('events/:eventId/deliveries')
  @ApiOperation({ summary: 'Every delivery of one recorded course event.' })
  deliveriesOfEvent(@CurrentPrincipal() p: Principal, @Param('eventId') eventId: string) {
    return this.integrations.deliveriesOfEvent(p, eventId);
  }

  @Post('deliveries/:deliveryId/redeliver')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send one delivery again (a new run of its retry schedule).' })
  redeliver(@CurrentPrincipal() p: Principal, @Param('deliveryId') id: string, @Req() req: RequestWithCorrelation) {
    return this.integrations.redeliver(p, id, req.correlationId);
  }
}
