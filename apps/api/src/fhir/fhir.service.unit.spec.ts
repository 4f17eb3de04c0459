import type { ModuleRef } from '@nestjs/core';
import type { AuditService } from '../audit/audit.service';
import type { Principal } from '../auth/token-verifier';
import type { CoursesService } from '../courses/courses.service';
import { ApiError } from '../errors/api-error';
import { FHIR_ACCESS_RESOURCE, FhirService } from './fhir.service';
import { completeCourses } from './testing/course-records';

const principal = { id: 'u-multi', name: 'Multi Auditor', role: 'auditor', siteId: 'site-b', sites: ['site-b', 'site-a'], authTime: null } as unknown as Principal;

const serviceWith = (events: () => Promise<unknown>) => {
  const courses = { events: jest.fn(events) };
  const audit = { record: jest.fn(async () => undefined) };
  const service = new FhirService({ get: () => courses } as unknown as ModuleRef, audit as unknown as AuditService);
  service.onModuleInit();
  return { service, courses: courses as unknown as jest.Mocked<CoursesService>, audit: audit as unknown as jest.Mocked<AuditService> };
};

describe('FhirService', () => {
  it('refuses a malformed course id with 400 naming courseId, before any read', async () => {
    const { service, courses, audit } = serviceWith(async () => []);
    for (const id of ['', ' x', 'a/b', 'x'.repeat(65), '-leading', 'a\u0000b']) {
      await expect(service.courseBundle(principal, id, 'c-1')).rejects.toMatchObject({ body: { statusCode: 400, code: 'INVALID_REQUEST', errors: expect.arrayContaining([expect.objectContaining({ field: 'courseId' })]) } });
    }
    expect(courses.events).not.toHaveBeenCalled();
    expect(audit.record).not.toHaveBeenCalled();
  });

  it('answers a course it may not see as GET /courses/:id does (404), and logs the attempt', async () => {
    const { service, audit } = serviceWith(async () => {
      throw ApiError.notFound();
    });
    await expect(service.courseBundle(principal, 'c-unknown', 'c-2')).rejects.toMatchObject({ body: { statusCode: 404, code: 'COURSE_NOT_FOUND' } });
    expect(audit.record).toHaveBeenCalledWith(principal, { action: 'read', resource: FHIR_ACCESS_RESOURCE, courseId: 'c-unknown', correlationId: 'c-2', outcome: 'not_found' });
  });

  it('logs the export under the course’s site (not the caller’s acting site) and returns the Bundle', async () => {
    const [course] = completeCourses();
    const { service, audit } = serviceWith(async () => course!.events);
    const bundle = await service.courseBundle(principal, 'c-fhir-v1', 'c-3');
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'collection' });
    expect(audit.record).toHaveBeenCalledWith(principal, { action: 'read', resource: FHIR_ACCESS_RESOURCE, courseId: 'c-fhir-v1', correlationId: 'c-3', outcome: 'ok' }, ['site-a']);
  });

  it('hands nothing out when the access log cannot be written', async () => {
    const [course] = completeCourses();
    const { service, audit } = serviceWith(async () => course!.events);
    audit.record.mockRejectedValueOnce(ApiError.unavailable('The audit log'));
    await expect(service.courseBundle(principal, 'c-fhir-v1', 'c-4')).rejects.toMatchObject({ body: { statusCode: 503 } });
  });
});
