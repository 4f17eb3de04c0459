import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { loadConfig, type AppConfig } from '@care/config';
import { createDataSource } from '@care/event-store';
import type { DataSource } from 'typeorm';

/**
 * A small pool of restricted connections for the background record keeping (ledger integrator,
 * projections). Opened on first use, which is after bootstrap, so the migrations that create the
 * role have run.
 */
@Injectable()
export class RecordKeepingDatabase implements OnApplicationShutdown {
  readonly config: AppConfig = loadConfig();
  private dataSource: Promise<DataSource> | null = null;

  get(): Promise<DataSource> {
    this.dataSource ??= createDataSource(this.config.database.url, 2, { role: this.config.database.role }).initialize();
    return this.dataSource;
  }

  async onApplicationShutdown(): Promise<void> {
    const ds = await this.dataSource?.catch(() => null);
    if (ds?.isInitialized) await ds.destroy();
  }
}

/**
 * Runs `task` every `intervalMs` until stopped, never two at once. A failure is logged by the caller's
 * `onError` and retried at the next tick: record keeping must not take the worker down.
 */
export class PeriodicTask {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly task: () => Promise<void>, private readonly intervalMs: number, private readonly onError: (error: unknown) => void) {}

  start(): void {
    const tick = () => {
      this.running = this.task()
        .catch(this.onError)
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.intervalMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
