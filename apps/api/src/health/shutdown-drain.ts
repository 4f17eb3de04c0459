import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import type { AppConfig } from '@care/config';
import { APP_CONFIG } from '../infrastructure/tokens';

/**
 * Graceful shutdown, first half. On SIGTERM, before Nest closes the HTTP server: readiness answers 503
 * from now on, and the instance keeps serving for `drainDelayMs` so the load balancer sees that and
 * stops sending. Then Nest closes the server: no new connection is accepted, and every request in
 * flight (a command waiting for its workflow's answer, an export) runs to its end before PostgreSQL
 * and Temporal are closed.
 */
@Injectable()
export class ShutdownDrain implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Shutdown');
  private drainingSince: number | null = null;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  get draining(): boolean {
    return this.drainingSince !== null;
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.drainingSince = Date.now();
    const delay = this.config.http.drainDelayMs;
    this.logger.log(`${signal ?? 'shutdown'}: not ready any more; ${delay > 0 ? `serving ${delay} ms more, then ` : ''}finishing the requests in flight`);
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
