import type { StaffRole } from '../actor';
import type { CourseCommandType } from '../command';

/** A protocol is data: the engine reads it, courses pin its id and version when they start. */
export type ProtocolDefinition = {
  id: string;
  version: number;
  title: string;
  /** Which roles may perform each command. A command missing here is refused for everyone. */
  permissions: Partial<Record<CourseCommandType, readonly StaffRole[]>>;
};
