import type { Actor } from '@care/protocol';

/**
 * The actor of commands the course workflow issues itself (timers firing, a child's report). It is
 * never a token's subject: the API only accepts human and integration roles from tokens.
 */
export const SYSTEM_ACTOR: Actor = {
  id: 'system:course-workflow',
  name: 'Course workflow (automatic)',
  role: 'system',
  siteId: '',
};
