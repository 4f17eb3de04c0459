import { Inject, Injectable } from '@nestjs/common';
import type { Connection } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE, TEMPORAL_CONNECTION } from './tokens';

const withTimeout = <T>(promise: Promise<T>, ms: number): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });

/** Cheap reachability checks of PostgreSQL and Temporal, used by /health/ready and before every write. */
@Injectable()
export class DependencyHealth {
  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(TEMPORAL_CONNECTION) private readonly connection: Connection,
  ) {}

  async database(): Promise<boolean> {
    try {
      if (!this.dataSource.isInitialized) await withTimeout(this.dataSource.initialize(), 3000);
      await withTimeout(this.dataSource.query('SELECT 1'), 2000);
      return true;
    } catch {
      return false;
    }
  }

  async temporal(): Promise<boolean> {
    // Abort on timeout: a call left retrying in the background would later fire on a closed channel
    // during shutdown and crash the process with an uncaught "Channel has been shut down".
    const abort = new AbortController();
    try {
      await withTimeout(
        this.connection.withAbortSignal(abort.signal, () =>
          this.connection.withDeadline(Date.now() + 2000, () => this.connection.workflowService.getSystemInfo({})),
        ),
        2500,
      );
      return true;
    } catch {
      return false;
    } finally {
      abort.abort();
    }
  }
}
