import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ApiError } from '../errors/api-error';
import { DependencyHealth } from '../infrastructure/dependency-health';

@ApiTags('health')
// Public: listed as such in auth/permissions.ts (probes carry no token).
@Controller('health')
export class HealthController {
  constructor(private readonly health: DependencyHealth) {}

  /** The process is up. */
  @Get('live')
  live() {
    return { status: 'ok' };
  }

  /**
   * Ready to serve: PostgreSQL and Temporal answer and a worker polls the course task queue (without
   * one, every command would wait for its deadline). 503 otherwise, naming what is missing.
   */
  @Get('ready')
  async ready() {
    const [database, temporal] = await Promise.all([this.health.database(), this.health.temporal()]);
    const workers = temporal ? await this.health.workers() : false;
    const checks = { database: database ? 'up' : 'down', temporal: temporal ? 'up' : 'down', workers: workers ? 'polling' : 'none' };
    if (!database || !temporal || !workers) {
      throw new ApiError({ statusCode: 503, code: 'NOT_READY', message: 'A dependency of the service is unavailable.', details: { checks, retryable: true } });
    }
    return { status: 'ok', checks };
  }
}
