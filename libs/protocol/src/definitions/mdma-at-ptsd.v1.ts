import type { ProtocolDefinition } from './protocol-definition';

/** MDMA-assisted therapy for PTSD, following the MAPP1/MAPP2 phase 3 structure (see README for sources). */
export const mdmaAtPtsdV1: ProtocolDefinition = {
  id: 'mdma-at-ptsd',
  version: 1,
  title: 'MDMA-assisted therapy for PTSD (MAPP phase 3 structure)',
  permissions: {
    StartCourse: ['coordinator', 'physician', 'integration'],
    RecordInformedConsent: ['coordinator', 'physician'],
    RecordEmergencyContact: ['coordinator', 'therapist', 'physician'],
  },
};
