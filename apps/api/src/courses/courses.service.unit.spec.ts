import type { AppConfig } from '@care/config';
import type { Client, Connection } from '@temporalio/client';
import type { EventStore } from '@care/event-store';
import type { AuditService } from '../audit/audit.service';
import type { Principal } from '../auth/token-verifier';
import type { DependencyHealth } from '../infrastructure/dependency-health';
import type { ActiveCourses } from './active-courses.service';
import type { CommandReceipts } from './command-receipts.service';
import { CoursesService } from './courses.service';

const principal = (siteId: string): Principal => ({ id: `u-${siteId}`, name: 'Casey', role: 'coordinator', siteId, sites: [siteId], authTime: null });
const alert = { type: 'RaiseAlert', data: { reason: 'unit test' } };
const receipt = (scope: string) => ({ scope, key: 'k', commandId: 'cmd-1', courseId: 'c1', refusal: null, created: true });

const setup = (courseSite: string | null) => {
  const receipts = {
    validateKey: (k: string | undefined) => k,
    claim: jest.fn(async (input: { scope: string }) => receipt(input.scope)),
    claimAtSite: jest.fn(async (input: { scope: string }, _stream: string, sites: string[]) => ({
      siteId: courseSite,
      receipt: courseSite !== null && sites.includes(courseSite) ? receipt(input.scope) : null,
    })),
  };
  const executeUpdate = jest.fn(async () => ({ state: { version: 2 }, events: [] }));
  const client = { workflow: { getHandle: () => ({ executeUpdate }) } } as unknown as Client;
  const connection = { withDeadline: (_d: number, call: () => Promise<unknown>) => call() } as unknown as Connection;
  const readStream = jest.fn(async () => (courseSite === null ? [] : [{ data: { siteId: courseSite } }]));
  const health = { markDown: jest.fn(), reportDatabaseError: jest.fn() };
  const config = { commands: { answerTimeoutMs: 1000 }, signatures: { maxAuthAgeMinutes: 5 }, temporal: { taskQueue: 'q' } } as unknown as AppConfig;
  const service = new CoursesService(
    config,
    client,
    connection,
    { readStream } as unknown as EventStore,
    receipts as unknown as CommandReceipts,
    { recordDenial: jest.fn() } as unknown as AuditService,
    {} as ActiveCourses,
    health as unknown as DependencyHealth,
  );
  return { service, receipts, executeUpdate, readStream, health };
};

describe('CoursesService.submit', () => {
  it('checks the site in the claim statement the first time, then from its cache: one round trip before the Update', async () => {
    const { service, receipts, executeUpdate, readStream } = setup('site-a');
    await service.submit(principal('site-a'), 'c1', alert, 'corr', 'key-00001');
    await service.submit(principal('site-a'), 'c1', alert, 'corr', 'key-00002');
    expect(receipts.claimAtSite).toHaveBeenCalledTimes(1);
    expect(receipts.claim).toHaveBeenCalledTimes(1);
    expect(readStream).not.toHaveBeenCalled();
    expect(executeUpdate).toHaveBeenCalledTimes(2);
  });

  it("answers another site's course exactly as a missing one, and reads it every time", async () => {
    const other = setup('site-b');
    const missing = setup(null);
    const refusals = [];
    for (const { service } of [other, missing, other]) {
      refusals.push(await service.submit(principal('site-a'), 'c1', alert, 'corr', 'key-00001').catch((e: { body: unknown }) => e.body));
    }
    expect(refusals[0]).toEqual(refusals[1]);
    expect(refusals[0]).toMatchObject({ statusCode: 404, code: 'COURSE_NOT_FOUND' });
    // Known to be site-b's, still read again for site-a (a refusal never comes from the cache) ...
    expect(other.receipts.claimAtSite).toHaveBeenCalledTimes(2);
    expect(other.executeUpdate).not.toHaveBeenCalled();
    // ... while site-b's own caller is answered from it.
    await other.service.submit(principal('site-b'), 'c1', alert, 'corr', 'key-00002');
    expect(other.receipts.claim).toHaveBeenCalledTimes(1);
    expect(other.receipts.claimAtSite).toHaveBeenCalledTimes(2);
  });

  it('marks Temporal down for readiness when it cannot be reached, and answers 503 outcome unknown', async () => {
    const { service, executeUpdate, health } = setup('site-a');
    executeUpdate.mockRejectedValueOnce(Object.assign(new Error('14 UNAVAILABLE: No connection established'), { name: 'ServiceError' }));
    await expect(service.submit(principal('site-a'), 'c1', alert, 'corr', 'key-00001')).rejects.toMatchObject({ body: { statusCode: 503, details: { retryable: true } } });
    expect(health.markDown).toHaveBeenCalledWith('temporal');
  });
});
