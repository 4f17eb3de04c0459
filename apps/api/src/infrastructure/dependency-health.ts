import { Inject, Injectable } from '@nestjs/common';
import type { Connection } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '@care/config';
import { APP_CONFIG, DATA_SOURCE, TEMPORAL_CONNECTION } from './tokens';

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

/** How long one answer of a check is reused: readiness probes come often and must stay cheap. */
const CACHE_MS = 3000;
/**
 * A poller counts as alive when it polled this recently. Idle workers re-poll at least every
 * minute (a long poll ends after about 60 s), so a live worker always has a fresher poll.
 */
const POLLER_FRESH_MS = 75_000;
// Enum values of the Temporal API (taskqueue kind NORMAL, type WORKFLOW).
const TASK_QUEUE_KIND_NORMAL = 1;
const TASK_QUEUE_TYPE_WORKFLOW = 1;

type Cached = { at: number; value: Promise<boolean> };

/** PostgreSQL (SQLSTATE class 08, shutdown 57P0x) or socket errors: the database is unreachable, not the query wrong. */
export const isDatabaseConnectionError = (error: unknown): boolean => {
  const code = String((error as { code?: unknown })?.code ?? (error as { driverError?: { code?: unknown } })?.driverError?.code ?? '');
  if (/^08|^57P0[1-3]$|^E[A-Z]+$/.test(code)) return true;
  return /Connection terminated|ECONNREFUSED|timeout exceeded when trying to connect|not yet established|not initialized/i.test(String((error as Error)?.message ?? ''));
};

/**
 * Reachability of PostgreSQL and Temporal, and whether a worker polls the course task queue; for
 * /health/ready. Checked there only (never per request); a request that found a dependency
 * unreachable reports it with `markDown`, so readiness says so at once instead of after its cache.
 */
@Injectable()
export class DependencyHealth {
  private readonly cache = new Map<string, Cached>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(TEMPORAL_CONNECTION) private readonly connection: Connection,
  ) {}

  database(): Promise<boolean> {
    return this.cached('database', async () => {
      if (!this.dataSource.isInitialized) await withTimeout(this.dataSource.initialize(), 3000);
      await withTimeout(this.dataSource.query('SELECT 1'), 2000);
    });
  }

  temporal(): Promise<boolean> {
    return this.cached('temporal', () => this.temporalCall(() => this.connection.workflowService.getSystemInfo({})));
  }

  /** Whether a worker has polled the course task queue recently (Temporal's DescribeTaskQueue). */
  workers(): Promise<boolean> {
    return this.cached('workers', async () => {
      const { namespace, taskQueue } = this.config.temporal;
      const response = await this.temporalCall(() =>
        this.connection.workflowService.describeTaskQueue({
          namespace,
          taskQueue: { name: taskQueue, kind: TASK_QUEUE_KIND_NORMAL },
          taskQueueType: TASK_QUEUE_TYPE_WORKFLOW,
        }),
      );
      const freshSince = Date.now() - POLLER_FRESH_MS;
      const alive = (response.pollers ?? []).some((p) => p.lastAccessTime && Number(p.lastAccessTime.seconds ?? 0) * 1000 >= freshSince);
      if (!alive) throw new Error('no worker polls the task queue');
    });
  }

  /** A call failed because the dependency is unreachable: readiness answers "down" until its next check. */
  markDown(name: 'database' | 'temporal'): void {
    this.cache.set(name, { at: Date.now(), value: Promise.resolve(false) });
  }

  /** `markDown('database')` when `error` says PostgreSQL is unreachable. */
  reportDatabaseError(error: unknown): void {
    if (isDatabaseConnectionError(error)) this.markDown('database');
  }

  private cached(name: string, check: () => Promise<unknown>): Promise<boolean> {
    const hit = this.cache.get(name);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.value;
    const value = check().then(
      () => true,
      () => false,
    );
    this.cache.set(name, { at: Date.now(), value });
    return value;
  }

  private async temporalCall<T>(call: () => Promise<T>): Promise<T> {
    // Abort on timeout: a call left retrying in the background would later fire on a closed channel
    // during shutdown and crash the process with an uncaught "Channel has been shut down".
    const abort = new AbortController();
    try {
      return await withTimeout(this.connection.withAbortSignal(abort.signal, () => this.connection.withDeadline(Date.now() + 2000, call)), 2500);
    } finally {
      abort.abort();
    }
  }
}
