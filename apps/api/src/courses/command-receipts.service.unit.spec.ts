import type { DataSource } from 'typeorm';
import { DependencyHealth } from '../infrastructure/dependency-health';
import { CommandReceipts, requestHash } from './command-receipts.service';

const input = { scope: 'commands|u-1|site-a|c1', key: 'key-00001', commandId: 'cmd-1', courseId: 'c1', body: { type: 'RaiseAlert' } };
const existing = { command_id: 'cmd-1', course_id: 'c1', request_hash: requestHash(input.body), refusal: null };
const none = { command_id: null, course_id: null, request_hash: null, refusal: null };

const setup = (...answers: unknown[]) => {
  const query = jest.fn();
  for (const a of answers) query.mockImplementationOnce(async () => (a instanceof Error ? Promise.reject(a) : a));
  const health = { reportDatabaseError: jest.fn() } as unknown as DependencyHealth;
  return { query, health, receipts: new CommandReceipts({ query } as unknown as DataSource, health) };
};

describe('CommandReceipts', () => {
  it('claims a new key in one statement', async () => {
    const { query, receipts } = setup([{ created: true, ...none }]);
    await expect(receipts.claim(input)).resolves.toMatchObject({ commandId: 'cmd-1', created: true, refusal: null });
    expect(query).toHaveBeenCalledTimes(1);
  });

  it('answers a retry from the same statement, and refuses another body with 409', async () => {
    const { query, receipts } = setup([{ created: false, ...existing }], [{ created: false, ...existing }]);
    await expect(receipts.claim(input)).resolves.toMatchObject({ commandId: 'cmd-1', created: false });
    await expect(receipts.claim({ ...input, body: { type: 'Other' } })).rejects.toMatchObject({ body: { statusCode: 409, code: 'IDEMPOTENCY_KEY_REUSED' } });
    expect(query).toHaveBeenCalledTimes(2);
  });

  it('reads the receipt again when a parallel retry inserted it after the statement began', async () => {
    const { query, receipts } = setup([{ created: false, ...none }], [existing]);
    await expect(receipts.claim(input)).resolves.toMatchObject({ commandId: 'cmd-1', created: false });
    expect(query).toHaveBeenCalledTimes(2);
  });

  it('claimAtSite writes nothing and returns no receipt unless the course is at one of the sites', async () => {
    const { query, receipts } = setup([{ site_id: 'site-b', created: false, ...existing }], [{ site_id: null, created: false, ...none }], [{ site_id: 'site-a', created: true, ...none }]);
    await expect(receipts.claimAtSite(input, 'course-c1', ['site-a'])).resolves.toEqual({ siteId: 'site-b', receipt: null });
    await expect(receipts.claimAtSite(input, 'course-c1', ['site-a'])).resolves.toEqual({ siteId: null, receipt: null });
    await expect(receipts.claimAtSite(input, 'course-c1', ['site-a'])).resolves.toMatchObject({ siteId: 'site-a', receipt: { created: true } });
    expect(query).toHaveBeenCalledTimes(3);
    // The site check is part of the insert's statement.
    expect(query.mock.calls[0][0]).toMatch(/es\.events[\s\S]*INSERT INTO api\.command_receipts[\s\S]*ANY/);
  });

  it('answers 503 when PostgreSQL fails, and tells the health state', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const { health, receipts } = setup(refused);
    await expect(receipts.claim(input)).rejects.toMatchObject({ body: { statusCode: 503, code: 'SERVICE_UNAVAILABLE' } });
    expect(health.reportDatabaseError).toHaveBeenCalledWith(refused);
  });
});
