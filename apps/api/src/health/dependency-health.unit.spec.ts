import type { AppConfig } from '@care/config';
import type { Connection } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { DependencyHealth, isDatabaseConnectionError } from '../infrastructure/dependency-health';

describe('DependencyHealth', () => {
  const setup = () => {
    const query = jest.fn(async () => [{ '?column?': 1 }]);
    const getSystemInfo = jest.fn(async () => ({}));
    const connection = { workflowService: { getSystemInfo }, withAbortSignal: (_s: AbortSignal, f: () => unknown) => f(), withDeadline: (_d: number, f: () => unknown) => f() };
    const health = new DependencyHealth({} as AppConfig, { isInitialized: true, query } as unknown as DataSource, connection as unknown as Connection);
    return { health, query, getSystemInfo };
  };

  it('reuses a check for a while, and a failed call marks the dependency down at once', async () => {
    const { health, query, getSystemInfo } = setup();
    await expect(health.database()).resolves.toBe(true);
    await expect(health.temporal()).resolves.toBe(true);
    await expect(health.database()).resolves.toBe(true);
    expect(query).toHaveBeenCalledTimes(1);
    health.reportDatabaseError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }));
    health.markDown('temporal');
    await expect(health.database()).resolves.toBe(false);
    await expect(health.temporal()).resolves.toBe(false);
    expect(query).toHaveBeenCalledTimes(1);
    expect(getSystemInfo).toHaveBeenCalledTimes(1);
  });

  it('a query error is not a connection error', () => {
    expect(isDatabaseConnectionError(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(false);
    expect(isDatabaseConnectionError(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe(true);
    expect(isDatabaseConnectionError(new Error('Connection terminated unexpectedly'))).toBe(true);
  });
});
