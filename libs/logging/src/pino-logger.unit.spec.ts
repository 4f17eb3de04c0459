import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { __resetOutOfContextForTests } from 'nestjs-pino/PinoLogger';
import { createLogger, httpLogging, nestLogger, type LogLevel } from './pino-logger';
import { redactText } from './redact';

/** A pino destination that keeps the lines it is given. */
const capture = (level: LogLevel = 'info') => {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const pino = createLogger(level, 'api', destination);
  // nestjs-pino keeps the first pino instance it is given for the whole process.
  __resetOutOfContextForTests();
  return { lines, pino, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
};

describe('the pino logger', () => {
  it('writes one JSON object per line with time, level, service, context and message (Nest contract)', () => {
    const { pino, parsed } = capture();
    const logger = nestLogger(pino);
    logger.log('polling task queue', 'CourseWorker');
    logger.debug!('hidden at info', 'CourseWorker');
    const lines = parsed();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'info', service: 'api', context: 'CourseWorker', msg: 'polling task queue' });
    expect(new Date(lines[0]!.time as string).toISOString()).toBe(lines[0]!.time);
  });

  it('redacts tokens, keys and clinical fields in messages and fields, and drops stack traces', () => {
    const { pino, lines, parsed } = capture();
    const logger = nestLogger(pino);
    const jwt = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlc2lnbmF0dXJl';
    logger.error(`failed with Bearer ${jwt} body {"patientRef":"P-2026-0042","values":{"total":63}}`, 'Error: x\n    at secret (/srv/app.ts:1:1)', 'HttpError');
    logger.warn({ patientRef: 'P-2026-0042', route: '/courses', nested: { evidence: 'nightmares' } }, 'Courses');
    pino.error(new Error('insert failed: {"patientRef":"P-2026-0042"} with Bearer abc.def'));
    pino.warn({ err: new TypeError('lot {"lotNumber":"LOT-77"}') });
    const text = lines.join('\n');
    for (const secret of [jwt, 'P-2026-0042', '"total":63', 'nightmares', 'at secret', 'abc.def', 'LOT-77', '/srv/app.ts']) expect({ secret, found: text.includes(secret) }).toEqual({ secret, found: false });
    const [first, second, third, fourth] = parsed();
    expect(first).toMatchObject({ level: 'error', context: 'HttpError', error: { type: 'Error' } });
    expect(second).toMatchObject({ level: 'warn', context: 'Courses', patientRef: '[redacted]', route: '/courses', nested: { evidence: '[redacted]' } });
    expect(third).toMatchObject({ level: 'error', error: { type: 'Error' }, msg: expect.stringContaining('Bearer [redacted]') });
    expect(fourth).toMatchObject({ level: 'warn', error: { type: 'TypeError' } });
    for (const line of parsed()) expect(line).not.toHaveProperty('err');
  });

  it('logs structured fields, also values JSON cannot hold natively', () => {
    const { pino, parsed } = capture();
    pino.warn({ context: 'Temporal', workflowId: 'course-1', attempt: 3n }, 'activity slow');
    expect(parsed()[0]).toMatchObject({ context: 'Temporal', workflowId: 'course-1', attempt: '3', msg: 'activity slow' });
  });

  it('redacts interpolation arguments too', () => {
    const { pino, lines } = capture();
    pino.info('connecting to %s', 'postgres://care_app:s3cret@db:5432/care');
    expect(lines.join('')).not.toContain('s3cret');
  });

  it('redacts database passwords and PEM blocks', () => {
    expect(redactText('postgres://care_app:s3cret@db:5432/care')).toBe('postgres://care_app:[redacted]@db:5432/care');
    expect(redactText('-----BEGIN PRIVATE KEY-----\nMC4CAQ\n-----END PRIVATE KEY-----')).toBe('[redacted-key]');
  });

  describe('request logs (pino-http)', () => {
    let server: Server;
    let base: string;
    const { pino, parsed } = capture();
    beforeAll(async () => {
      const middleware = httpLogging(pino, { routeOf: (req) => (req.url!.startsWith('/audit/') ? '/audit/events' : 'unmatched'), ignore: (req) => req.url!.startsWith('/health/') });
      const nest = nestLogger(pino);
      server = createServer((req, res) => {
        (req as typeof req & { correlationId: string }).correlationId = 'corr-1';
        middleware(req, res, () => {
          nest.log('inside the request', 'Handler');
          res.statusCode = req.url!.startsWith('/boom') ? 500 : req.url!.startsWith('/missing') ? 404 : 200;
          res.end('{}');
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('logs method, route template, status and time, with the correlation id on every line of the request, and no path, query or header', async () => {
      await fetch(`${base}/audit/events?patientRef=P-2026-0042`, { headers: { authorization: 'Bearer secret-token-1' } });
      await fetch(`${base}/missing/P-2026-0042`);
      await fetch(`${base}/boom`);
      await fetch(`${base}/health/ready`);
      await new Promise((r) => setTimeout(r, 50));
      const lines = parsed();
      const text = JSON.stringify(lines);
      expect(text).not.toContain('P-2026-0042');
      expect(text).not.toContain('secret-token-1');
      expect(text).not.toContain('patientRef');
      expect(text).not.toContain('/health/ready');
      expect(lines.filter((l) => l.msg === 'inside the request').map((l) => l.requestId)).toEqual(['corr-1', 'corr-1', 'corr-1', 'corr-1']);
      const responses = lines.filter((l) => l.context === 'Http');
      expect(responses.map((l) => [l.level, (l.request as { route: string }).route, l.statusCode, l.requestId])).toEqual([
        ['info', '/audit/events', 200, 'corr-1'],
        ['warn', 'unmatched', 404, 'corr-1'],
        ['error', 'unmatched', 500, 'corr-1'],
      ]);
      for (const line of responses) {
        expect(typeof line.responseTimeMs).toBe('number');
        expect(line).not.toHaveProperty('req');
        expect(line).not.toHaveProperty('res');
      }
      expect(responses[2]).toMatchObject({ error: { type: 'Error' } });
      expect(JSON.stringify(responses[2])).not.toContain('stack');
    });
  });
});
