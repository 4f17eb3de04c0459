import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { dateTimeQuery, patternQuery, rowIdQuery, wholeNumberQuery } from '../../validation/fields';

const ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
const limit = () => wholeNumberQuery('limit', 1, 500).meta({ description: 'At most this many entries (1 to 500; default 100).' });

/** Filters of `GET /audit/events` and `GET /audit/export`. Every filter is optional and combined with AND. */
const auditFilters = {
  courseId: patternQuery('courseId', ID, 'Course id'),
  patientRef: z.string().max(128, { error: 'patientRef must be at most 128 characters' }).optional().meta({ description: 'Patient reference given when the course started' }),
  actorId: patternQuery('actorId', ID, 'User id of whoever caused the event'),
  role: patternQuery('role', /^[a-z_]{1,32}$/, 'Role of whoever caused the event'),
  siteId: patternQuery('siteId', ID, "Site of the course (only the token's site is allowed)"),
  eventType: patternQuery('eventType', /^[A-Za-z]{1,64}$/, 'Event type, e.g. DoseAdministered'),
  from: dateTimeQuery('from', 'Recorded at or after (ISO 8601)'),
  to: dateTimeQuery('to', 'Recorded before (ISO 8601)'),
};
export const AuditEventsQuery = z.strictObject(auditFilters);
export type AuditEventsQueryDto = z.infer<typeof AuditEventsQuery>;

/** Paging for `GET /audit/events`. */
export class AuditEventsPageDto extends createZodDto(
  z.strictObject({ ...auditFilters, cursor: patternQuery('cursor', /^[A-Za-z0-9_-]{1,64}$/, 'Opaque cursor from the previous page'), limit: limit() }),
) {}

/** `GET /audit/export`. */
export class AuditExportDto extends createZodDto(
  z.strictObject({ ...auditFilters, format: z.enum(['ndjson', 'csv'], { error: 'format must be ndjson or csv' }).optional().meta({ description: 'Default: ndjson.' }) }),
) {}

/** `GET /audit/access-log`. */
export class AccessLogQueryDto extends createZodDto(
  z.strictObject({
    siteId: patternQuery('siteId', ID, "Site whose accesses to list (one of the token's sites; default: the first)"),
    courseId: patternQuery('courseId', ID),
    actorId: patternQuery('actorId', ID),
    from: dateTimeQuery('from'),
    to: dateTimeQuery('to'),
    cursor: rowIdQuery('cursor', 'Access id to continue after'),
    limit: limit(),
  }),
) {}

/** `GET /audit/verify`: the whole log, or ledger entries [fromLeaf, toLeaf). */
export class VerifyQueryDto extends createZodDto(z.strictObject({ fromLeaf: wholeNumberQuery('fromLeaf', 0), toLeaf: wholeNumberQuery('toLeaf', 1) })) {}

/** `GET /audit/denials`: refused requests (failed logins, missing permissions, failed signatures). */
export class DenialsQueryDto extends createZodDto(
  z.strictObject({ from: dateTimeQuery('from'), cursor: rowIdQuery('cursor', 'Access id to continue after'), limit: limit() }),
) {}
