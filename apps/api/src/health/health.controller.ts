import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheckService, HealthIndicatorService, type HealthCheckResult, type HealthIndicatorResult } from '@nestjs/terminus';
import { ApiError } from '../errors/api-error';
import { DependencyHealth } from '../infrastructure/dependency-health';
import { ShutdownDrain } from './shutdown-drain';

type Checks = { database: 'up' | 'down'; temporal: 'up' | 'down'; workers: 'polling' | 'none' };

@ApiTags('health')
// Public: listed as such in auth/permissions.ts (probes carry no token).
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly dependencies: DependencyHealth,
    private readonly drain: ShutdownDrain,
  ) {}

  /** The process is up. */
  @Get('live')
  live() {
    return { status: 'ok' };
  }

  /**
   * Ready to serve: PostgreSQL and Temporal answer, a worker polls the course task queue (without one,
   * every command would wait for its deadline), and the instance is not shutting down. 503 otherwise,
   * naming what is missing, in the error contract.
   */
  @Get('ready')
  async ready() {
    const checks: Checks = { database: 'down', temporal: 'down', workers: 'none' };
    const indicator = (key: 'database' | 'temporal' | 'workers' | 'shutdown', ok: () => Promise<boolean>) => async (): Promise<HealthIndicatorResult> => {
      const session = this.indicators.check(key);
      return (await ok()) ? session.up() : session.down();
    };
    let result: HealthCheckResult;
    try {
      result = await this.health.check([
        indicator('database', async () => (checks.database = (await this.dependencies.database()) ? 'up' : 'down') === 'up'),
        indicator('temporal', async () => (checks.temporal = (await this.dependencies.temporal()) ? 'up' : 'down') === 'up'),
        // Asked only when Temporal answers (otherwise it cannot be known).
        indicator('workers', async () => (await this.dependencies.temporal()) && (checks.workers = (await this.dependencies.workers()) ? 'polling' : 'none') === 'polling'),
        indicator('shutdown', async () => !this.drain.draining),
      ]);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const draining = this.drain.draining;
      throw new ApiError({
        statusCode: 503,
        code: 'NOT_READY',
        message: draining ? 'This instance is shutting down.' : 'A dependency of the service is unavailable.',
        details: { checks, ...(draining ? { draining: true } : {}), retryable: true },
      });
    }
    return { status: result.status, checks };
  }
}
