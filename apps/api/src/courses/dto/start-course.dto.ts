import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { identifierField } from '../../validation/fields';

/**
 * `POST /courses`. The clinical time is checked in full (UTC, a real date, not in the future, the late-entry
 * rule) by the protocol's own parser and rules, with its field names.
 */
export const StartCourseBody = z.strictObject({
  patientRef: identifierField('patientRef').meta({ description: 'Pseudonymous patient reference (never a name or a record number).', examples: ['P-2026-0042'] }),
  siteId: identifierField('siteId').meta({ examples: ['site-a'] }),
  protocolId: identifierField('protocolId').meta({ examples: ['mdma-at-ptsd'] }),
  performedAt: z
    .string()
    .optional()
    .meta({ description: 'When the course of care began (UTC), if earlier than now, e.g. a paper consent visit this morning. Default: now.', format: 'date-time', examples: ['2026-01-05T08:00:00Z'] }),
  lateEntryReason: z.string().optional().meta({ description: "Why the start is entered more than the protocol's lateEntryAfterMinutes after performedAt.", maxLength: 500 }),
})
  // A whole body as a client sends it today (a start "now"; the field examples alone would make one that began in January).
  .meta({ examples: [{ patientRef: 'P-2026-0042', siteId: 'site-a', protocolId: 'mdma-at-ptsd' }] });

export class StartCourseDto extends createZodDto(StartCourseBody) {}
