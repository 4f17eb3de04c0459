import { Controller, Get, HttpException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/public.decorator';
import { DependencyHealth } from '../infrastructure/dependency-health';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(private readonly health: DependencyHealth) {}

  /** The process is up. */
  @Get('live')
  live() {
    return { status: 'ok' };
  }

  /** Ready to serve: PostgreSQL and Temporal both answer. 503 otherwise, naming which one does not. */
  @Get('ready')
  async ready() {
    const [database, temporal] = await Promise.all([this.health.database(), this.health.temporal()]);
    const body = { status: database && temporal ? 'ok' : 'unavailable', checks: { database: database ? 'up' : 'down', temporal: temporal ? 'up' : 'down' } };
    if (!database || !temporal) throw new HttpException(body, 503);
    return body;
  }
}
