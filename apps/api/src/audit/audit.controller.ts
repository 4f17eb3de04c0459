import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { once } from 'node:events';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import type { Principal } from '../auth/token-verifier';
import { AuditService } from './audit.service';
import { AccessLogQueryDto, AuditEventsPageDto, AuditExportDto, DenialsQueryDto, VerifyQueryDto } from './dto/audit-query.dto';

type WithCorrelation = { correlationId: string };

/** The auditors' API: read-only; roles per route in auth/permissions.ts, sites from the token. */
@ApiTags('audit')
@ApiBearerAuth()
@Controller('audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get('events')
  @ApiOperation({ summary: 'Audit-trail entries (who, what, when, why, signature), filtered, oldest first, cursor-paged.' })
  events(@CurrentPrincipal() principal: Principal, @Query() q: AuditEventsPageDto, @Req() req: WithCorrelation) {
    const { cursor, limit, ...filter } = q;
    return this.audit.events(principal, filter, cursor, limit ?? 100, req.correlationId);
  }

  @Get('export')
  @ApiOperation({ summary: 'Every matching entry as NDJSON or CSV, streamed.' })
  @ApiProduces('application/x-ndjson', 'text/csv')
  async export(@CurrentPrincipal() principal: Principal, @Query() q: AuditExportDto, @Req() req: WithCorrelation, @Res() res: Response): Promise<void> {
    const { format = 'ndjson', ...filter } = q;
    const batches = this.audit.stream(principal, filter, format, req.correlationId);
    // Pull the first batch before any header goes out, so a refusal still gets the error contract.
    const first = await batches.next();
    res.status(200).setHeader('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
    res.setHeader('content-disposition', `attachment; filename="audit-export.${format === 'csv' ? 'csv' : 'ndjson'}"`);
    const write = async (chunk: string) => {
      if (!res.write(chunk)) await once(res, 'drain');
    };
    try {
      for (let batch = first; !batch.done; batch = await batches.next()) {
        if (res.destroyed) break;
        await write(batch.value);
      }
      res.end();
    } catch {
      // Headers are gone: the only honest signal left is a broken response, never a silently short file.
      res.destroy();
    }
  }

  @Get('verify')
  @ApiOperation({ summary: 'Recomputes the ledger (all, or leaves [fromLeaf, toLeaf)) and names the first mismatch.' })
  verify(@CurrentPrincipal() principal: Principal, @Query() q: VerifyQueryDto, @Req() req: WithCorrelation) {
    return this.audit.verify(principal, q, req.correlationId);
  }

  @Get('events/:eventId/proof')
  @ApiOperation({ summary: 'RFC 6962 inclusion proof of one event against the latest signed checkpoint.' })
  proof(@CurrentPrincipal() principal: Principal, @Param('eventId') eventId: string, @Req() req: WithCorrelation) {
    return this.audit.proof(principal, eventId, req.correlationId);
  }

  @Get('access-log')
  @ApiOperation({ summary: 'Who read which course data and when (part of the signed ledger).' })
  accessLog(@CurrentPrincipal() principal: Principal, @Query() q: AccessLogQueryDto, @Req() req: WithCorrelation) {
    return this.audit.accessLogPage(principal, q, req.correlationId);
  }

  @Get('denials')
  @ApiOperation({ summary: 'Refused requests: failed logins (anonymous), missing permissions, failed signatures.' })
  denials(@CurrentPrincipal() principal: Principal, @Query() q: DenialsQueryDto, @Req() req: WithCorrelation) {
    return this.audit.denials(principal, q, req.correlationId);
  }

  @Get('projections')
  @ApiOperation({ summary: 'Read-model positions and lag (events not yet applied).' })
  projections() {
    return this.audit.projections();
  }
}
