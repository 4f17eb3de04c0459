import { mdmaAtPtsdV1 } from './mdma-at-ptsd.v1';
import type { ProtocolDefinition } from './protocol-definition';

const withIntegration = (roles: readonly string[] | undefined) => [...new Set([...(roles ?? []), 'integration'])];

/**
 * v2: the clinical protocol of v1 unchanged; outside systems (role `integration`, e.g. an e-consent
 * tool or a scheduling system sending signed webhooks) may also record an informed consent and book
 * or cancel a visit [I]. None of these steps needs a clinician's e-signature. Courses started on v1
 * stay on v1 (a definition version never changes once published).
 */
export const mdmaAtPtsdV2: ProtocolDefinition = {
  ...mdmaAtPtsdV1,
  version: 2,
  permissions: {
    ...mdmaAtPtsdV1.permissions,
    RecordInformedConsent: withIntegration(mdmaAtPtsdV1.permissions.RecordInformedConsent),
    ScheduleSession: withIntegration(mdmaAtPtsdV1.permissions.ScheduleSession),
    CancelSession: withIntegration(mdmaAtPtsdV1.permissions.CancelSession),
  } as ProtocolDefinition['permissions'],
};
