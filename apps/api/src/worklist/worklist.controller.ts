import { Controller, Get, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import type { Principal } from '../auth/token-verifier';
import { WorklistService } from './worklist.service';

@ApiTags('worklist')
@ApiBearerAuth()
@Controller('worklist')
export class WorklistController {
  constructor(private readonly worklist: WorklistService) {}

  @Get()
  @ApiOperation({ summary: "Steps due or overdue today (UTC) on the courses of the caller's site." })
  list(@CurrentPrincipal() principal: Principal, @Req() req: { correlationId: string }) {
    return this.worklist.forSite(principal, req.correlationId);
  }
}
