import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { PROJECTIONS, runProjection } from '@care/event-store';
import { PeriodicTask, RecordKeepingDatabase } from '../record-keeping.database';

/** Keeps the read models (course summary, worklist, patient timeline) up with the events. */
@Injectable()
export class ProjectionsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Projections');
  private task: PeriodicTask | null = null;

  constructor(private readonly database: RecordKeepingDatabase) {}

  onApplicationBootstrap(): void {
    this.task = new PeriodicTask(
      async () => {
        const db = await this.database.get();
        for (const projection of PROJECTIONS) await runProjection(db, projection);
      },
      this.database.config.projections.pollIntervalMs,
      (error) => this.logger.warn(`projection batch failed, retrying later: ${(error as Error)?.name ?? 'error'}`),
    );
    this.task.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.task?.stop();
  }
}
