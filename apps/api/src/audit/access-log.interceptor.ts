import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import { from, type Observable, throwError } from 'rxjs';
import { catchError, mergeMap } from 'rxjs/operators';
import type { Principal } from '../auth/token-verifier';
import { ApiError } from '../errors/api-error';
import { AuditService } from './audit.service';

/** Routes that hand out a course's clinical data, and the resource name each is logged under. */
const LOGGED_ROUTES: Record<string, string> = {
  '/courses/:courseId': 'course',
  '/courses/:courseId/events': 'course-events',
  '/courses/:courseId/signatures': 'course-signatures',
  '/courses/:courseId/commands/:commandId': 'course-command',
};

/** The site of the course in a course answer (state, or the events' CourseStarted). */
const courseSiteOf = (body: unknown): string | undefined => {
  const b = body as { siteId?: unknown; events?: { data?: { siteId?: unknown } }[] } | null;
  const site = b?.siteId ?? b?.events?.[0]?.data?.siteId;
  return typeof site === 'string' ? site : undefined;
};

/**
 * Records every read of a course's clinical data in the access log before the answer leaves, and
 * attempts that ended in 404 (someone looking for a course they may not see). Audit routes log
 * themselves, with their filters.
 */
@Injectable()
export class AccessLogInterceptor implements NestInterceptor {
  constructor(private readonly audit: AuditService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<Request & { principal?: Principal; correlationId?: string }>();
    const resource = req.method === 'GET' ? LOGGED_ROUTES[(req.route as { path?: string } | undefined)?.path ?? ''] : undefined;
    if (!resource || !req.principal) return next.handle();
    const principal = req.principal;
    const courseId = typeof req.params['courseId'] === 'string' ? req.params['courseId'].slice(0, 128) : null;
    const log = (outcome: 'ok' | 'not_found', site?: string) =>
      this.audit.record(principal, { action: 'read', resource, courseId, outcome, correlationId: req.correlationId ?? null }, [site ?? principal.siteId]);
    return next.handle().pipe(
      // Logged under the course's site, so that site's auditors see the read (also by a multi-site auditor).
      mergeMap((body) => from(log('ok', courseSiteOf(body)).then(() => body))),
      catchError((error: unknown) => {
        if (error instanceof ApiError && error.body.statusCode === 404) return from(log('not_found').catch(() => undefined)).pipe(mergeMap(() => throwError(() => error)));
        return throwError(() => error);
      }),
    );
  }
}
