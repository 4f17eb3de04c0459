import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { AuditService } from '../audit/audit.service';
import type { Principal } from '../auth/token-verifier';
import { CoursesService } from '../courses/courses.service';
import { ApiError } from '../errors/api-error';
import { identifierField } from '../validation/fields';
import { courseBundle } from './course-bundle';
import type { Bundle } from './fhir-r4';

/** Under this name the access log lists a FHIR export of a course (beside `course` and `course-events`). */
export const FHIR_ACCESS_RESOURCE = 'course-fhir';

const COURSE_ID = identifierField('courseId');

/**
 * The FHIR export of a course: the same read as GET /courses/:courseId/events (the record, the caller's
 * sites only, 404 otherwise, the same permission), turned into a Bundle by the pure `courseBundle`.
 * Each export is written to the access log under the course's site, the way the access-log interceptor
 * logs the other course reads, before the document leaves; a refused read (404) is logged too.
 * It logs itself because the interceptor finds a course's site in the answer's `siteId` or events, which a
 * Bundle has neither of: a route added to the interceptor's table as well would be logged twice.
 */
@Injectable()
export class FhirService implements OnModuleInit {
  private courses!: CoursesService;

  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly audit: AuditService,
  ) {}

  /** The course reads are CoursesService's, registered by the application module: one read path, one site check. */
  onModuleInit(): void {
    this.courses = this.moduleRef.get(CoursesService, { strict: false });
  }

  async courseBundle(principal: Principal, courseId: string, correlationId: string | null): Promise<Bundle> {
    const parsed = COURSE_ID.safeParse(courseId);
    if (!parsed.success) {
      throw ApiError.badRequest(parsed.error.issues.map((i) => ({ field: 'courseId', message: i.message })), 'The course id is not valid.');
    }
    const entry = { action: 'read', resource: FHIR_ACCESS_RESOURCE, courseId, correlationId } as const;
    let events;
    try {
      events = await this.courses.events(principal, courseId);
    } catch (error) {
      if (error instanceof ApiError && error.body.statusCode === 404) await this.audit.record(principal, { ...entry, outcome: 'not_found' }).catch(() => undefined);
      throw error;
    }
    const bundle = courseBundle(events, { exportedAt: new Date().toISOString() });
    // Logged under the course's site, so that site's auditors see the export (also by an auditor of several sites).
    await this.audit.record(principal, { ...entry, outcome: 'ok' }, [String(events[0]!.data['siteId'])]);
    return bundle;
  }
}
