/** Roles a person can hold in the service. Which role may perform which command is protocol data. */
export const STAFF_ROLES = ['coordinator', 'therapist', 'physician', 'auditor', 'integration', 'admin', 'system'] as const;
/**
 * Roles a bearer token may carry. `system` is the course workflow itself (timers firing, a child
 * workflow's report) and is never accepted from outside.
 */
export const TOKEN_ROLES = STAFF_ROLES.filter((r) => r !== 'system');
export type StaffRole = (typeof STAFF_ROLES)[number];

/** Who performs a command: stable id, printed name (Part 11 §11.50), role and the site they act for. */
export type Actor = {
  id: string;
  name: string;
  role: StaffRole;
  siteId: string;
};
