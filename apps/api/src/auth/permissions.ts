import type { StaffRole } from '@care/protocol';

/** Roles a token can carry (the protocol's `system` role is the workflow itself, never a caller). */
export type TokenRole = Exclude<StaffRole, 'system'>;

/**
 * What each role may do at the HTTP level. Which protocol command a role may perform is decided by
 * the protocol definition (`libs/protocol`), not here: the API only passes the actor along.
 * Admins run the service (audit, verification, codec) but have no clinical read or write.
 */
export const PERMISSIONS = {
  'course:start': ['coordinator', 'therapist', 'physician', 'integration'],
  'course:command': ['coordinator', 'therapist', 'physician', 'integration'],
  'course:read': ['coordinator', 'therapist', 'physician', 'integration', 'auditor'],
  'worklist:read': ['coordinator', 'therapist', 'physician'],
  'audit:read': ['auditor', 'admin'],
  'audit:export': ['auditor', 'admin'],
  'audit:verify': ['auditor', 'admin'],
  'audit:access-log': ['auditor', 'admin'],
  'audit:operations': ['auditor', 'admin'],
  'audit:security': ['auditor', 'admin'],
  'codec:use': ['auditor', 'admin'],
  'protocol:read': ['coordinator', 'therapist', 'physician', 'integration', 'auditor', 'admin'],
  'integrations:manage': ['admin'],
  'integrations:read': ['admin', 'auditor'],
  'integrations:catalogue': ['coordinator', 'therapist', 'physician', 'integration', 'auditor', 'admin'],
} as const satisfies Record<string, readonly TokenRole[]>;

export type Permission = keyof typeof PERMISSIONS;

/** A route anyone may call without a token. */
export const PUBLIC = 'public' as const;

/**
 * Every route of the API, as `METHOD /path` with Nest's path syntax, and the permission it needs.
 * The single place to read who may call what. The guard denies a route missing here, and a test
 * (route-inventory) fails when a controller declares a route that is not listed.
 */
export const ROUTE_PERMISSIONS: Readonly<Record<string, Permission | typeof PUBLIC>> = {
  'GET /health/live': PUBLIC,
  'GET /health/ready': PUBLIC,
  // How the console signs in; the local sign-in exists only in the embedded default (development key).
  'GET /auth/sign-in-options': PUBLIC,
  'POST /auth/local-sign-in': PUBLIC,
  'POST /courses': 'course:start',
  'POST /courses/:courseId/commands': 'course:command',
  'GET /courses/:courseId': 'course:read',
  'GET /courses/:courseId/commands/:commandId': 'course:command',
  'GET /courses/:courseId/events': 'course:read',
  'GET /courses/:courseId/fhir': 'course:read',
  'GET /courses/:courseId/signatures': 'course:read',
  'GET /worklist': 'worklist:read',
  'GET /protocols': 'protocol:read',
  'GET /protocols/:protocolId/versions/:version': 'protocol:read',
  'GET /audit/events': 'audit:read',
  'GET /audit/export': 'audit:export',
  'GET /audit/verify': 'audit:verify',
  'GET /audit/events/:eventId/proof': 'audit:verify',
  'GET /audit/access-log': 'audit:access-log',
  'GET /audit/projections': 'audit:operations',
  'GET /audit/denials': 'audit:security',
  'POST /codec/encode': 'codec:use',
  'POST /codec/decode': 'codec:use',
  // Authenticated by the webhook's own signature (Standard Webhooks), checked by the handler.
  'POST /webhooks/:sourceId': PUBLIC,
  'GET /integrations/event-types': 'integrations:catalogue',
  'POST /integrations/sources': 'integrations:manage',
  'GET /integrations/sources': 'integrations:manage',
  'POST /integrations/sources/:sourceId/rotate-secret': 'integrations:manage',
  'POST /integrations/subscriptions': 'integrations:manage',
  'GET /integrations/subscriptions': 'integrations:manage',
  'GET /integrations/subscriptions/:subscriptionId': 'integrations:manage',
  'PATCH /integrations/subscriptions/:subscriptionId': 'integrations:manage',
  'POST /integrations/subscriptions/:subscriptionId/rotate-secret': 'integrations:manage',
  'POST /integrations/subscriptions/:subscriptionId/recover': 'integrations:manage',
  'GET /integrations/subscriptions/:subscriptionId/deliveries': 'integrations:read',
  'GET /integrations/deliveries/:deliveryId': 'integrations:read',
  'GET /integrations/events/:eventId/deliveries': 'integrations:read',
  'POST /integrations/deliveries/:deliveryId/redeliver': 'integrations:manage',
};

/** `METHOD /path` of a request's matched route. */
export const routeKey = (method: string, path: string): string => `${method.toUpperCase()} ${path === '' ? '/' : path}`;

/** Whether `role` holds `permission`. */
export const roleHas = (role: string, permission: Permission): boolean => (PERMISSIONS[permission] as readonly string[]).includes(role);
