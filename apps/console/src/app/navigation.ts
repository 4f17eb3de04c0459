/** What each role finds in the menu (the API decides what they may do; this only hides what would be refused). */
export const STAFF_ROLES = ['coordinator', 'therapist', 'physician'];

export type NavItem = { to: string; label: string };

export const navigationOf = (role: string): NavItem[] => {
  if (STAFF_ROLES.includes(role)) return [
    { to: '/worklist', label: 'Worklist' },
    { to: '/courses/new', label: 'Start a course' },
  ];
  if (role === 'auditor') return [
    { to: '/audit/events', label: 'Audit trail' },
    { to: '/audit/verify', label: 'Verify' },
    { to: '/audit/export', label: 'Export' },
    { to: '/audit/access-log', label: 'Access log' },
    { to: '/audit/denials', label: 'Denials' },
  ];
  if (role === 'admin') return [
    { to: '/admin/integrations', label: 'Integrations' },
    { to: '/audit/events', label: 'Audit trail' },
    { to: '/audit/verify', label: 'Verify' },
  ];
  return [];
};

export const homeOf = (role: string): string => navigationOf(role)[0]?.to ?? '/sign-in';

export const ROLE_LABELS: Record<string, string> = {
  coordinator: 'Coordinator',
  therapist: 'Therapist',
  physician: 'Physician',
  auditor: 'Auditor',
  admin: 'Administrator',
  integration: 'Integration',
};
