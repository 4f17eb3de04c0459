import { JsonLogger } from './json-logger';
import { redactText } from './redact';

describe('JsonLogger', () => {
  const capture = (level: 'debug' | 'info' | 'warn' | 'error' = 'info') => {
    const lines: string[] = [];
    return { lines, logger: new JsonLogger(level, 'api', (l) => void lines.push(l)) };
  };

  it('writes one JSON object per line with level, context and message', () => {
    const { lines, logger } = capture();
    logger.log('polling task queue', 'CourseWorker');
    logger.debug('hidden at info');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'info', service: 'api', context: 'CourseWorker', msg: 'polling task queue' });
  });

  it('redacts tokens, keys, clinical fields and drops stack traces', () => {
    const { lines, logger } = capture();
    const jwt = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlc2lnbmF0dXJl';
    logger.error(`failed with Bearer ${jwt} body {"patientRef":"P-2026-0042","values":{"total":63}}`, 'Error: x\n    at secret (/srv/app.ts:1:1)', 'HttpError');
    logger.warn({ patientRef: 'P-2026-0042', route: '/courses', nested: { evidence: 'nightmares' } }, 'Courses');
    const text = lines.join('');
    for (const secret of [jwt, 'P-2026-0042', '"total":63', 'nightmares', 'at secret']) expect(text).not.toContain(secret);
    expect(JSON.parse(lines[1]!).msg).toEqual({ patientRef: '[redacted]', route: '/courses', nested: { evidence: '[redacted]' } });
  });

  it('logs structured fields, also values JSON cannot hold natively', () => {
    const { lines, logger } = capture();
    logger.warn('activity slow', { workflowId: 'course-1', attempt: 3n }, 'Temporal');
    expect(JSON.parse(lines[0]!)).toMatchObject({ context: 'Temporal', fields: [{ workflowId: 'course-1', attempt: '3' }] });
  });

  it('redacts database passwords and PEM blocks', () => {
    expect(redactText('postgres://care_app:s3cret@db:5432/care')).toBe('postgres://care_app:[redacted]@db:5432/care');
    expect(redactText('-----BEGIN PRIVATE KEY-----\nMC4CAQ\n-----END PRIVATE KEY-----')).toBe('[redacted-key]');
  });
});
