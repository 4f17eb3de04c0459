import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { OUTBOUND_TYPE_NAMES } from '@care/webhooks';
import { identifierField, isoDateTime, textField } from '../../validation/fields';

const eventTypes = () =>
  z
    .array(z.enum(OUTBOUND_TYPE_NAMES as [string, ...string[]], { error: `each event type must be one of ${OUTBOUND_TYPE_NAMES.join(', ')}` }), {
      error: 'eventTypes must be a list of event types',
    })
    .min(1, { error: 'eventTypes must name at least one event type' })
    .max(50, { error: 'eventTypes must name at most 50 event types' })
    .meta({ description: 'Outbound event types (GET /integrations/event-types).', examples: [['session.scheduled', 'vitals.alert']] });
const description = () => z.string().max(500, { error: 'description must be at most 500 characters' }).optional().meta({ examples: ['EHR of site A'] });
const url = () => textField('url', 1, 2000).meta({ description: 'https URL of the endpoint (plain http only to WEBHOOK_ALLOWED_NETWORKS).', examples: ['https://ehr.example.org/hooks/care'] });

export class CreateSourceDto extends createZodDto(
  z.strictObject({
    name: textField('name', 1, 100).meta({ description: 'The printed name the audit trail shows for what this system records.', examples: ['Acme e-Consent'] }),
    siteId: identifierField('siteId').meta({ examples: ['site-a'] }),
  }),
) {}

export class CreateSubscriptionDto extends createZodDto(
  z.strictObject({ url: url(), siteId: identifierField('siteId').meta({ examples: ['site-a'] }), eventTypes: eventTypes(), description: description() }),
) {}

export class UpdateSubscriptionDto extends createZodDto(
  z.strictObject({
    url: url().optional(),
    eventTypes: eventTypes().optional(),
    enabled: z.boolean({ error: 'enabled must be true or false' }).optional().meta({ description: 'false disables deliveries (events meanwhile are kept as skipped, for recovery); true enables again.' }),
    description: description(),
  }),
) {}

export class RecoverDto extends createZodDto(
  z.strictObject({
    since: isoDateTime('since').meta({ description: 'Re-send every failed or skipped delivery created since this time (UTC).', examples: ['2026-12-01T00:00:00Z'] }),
  }),
) {}
