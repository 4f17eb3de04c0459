import { COMMAND_TYPES, SYSTEM_COMMAND_TYPES, type CourseCommandType } from '@care/protocol';

/**
 * The commands POST /courses/:courseId/commands accepts: every command except StartCourse (its own route,
 * POST /courses) and the system commands, which come only from the course workflow itself.
 */
export const HTTP_COMMAND_TYPES: readonly CourseCommandType[] = COMMAND_TYPES.filter((t) => t !== 'StartCourse' && !SYSTEM_COMMAND_TYPES.includes(t));
