import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * What operators can filter courses by in the Temporal UI. None of these may carry personal data:
 * search attributes are stored unencrypted. Registered with the dev server by `npm start` and the
 * test setup (see search-attributes.json); a production namespace needs them registered once.
 */
export const CourseStatusKey = defineSearchAttributeKey('CourseStatus', SearchAttributeType.KEYWORD);
export const CoursePhaseKey = defineSearchAttributeKey('CoursePhase', SearchAttributeType.KEYWORD);
export const CourseSiteKey = defineSearchAttributeKey('CourseSite', SearchAttributeType.KEYWORD);
export const CourseNextDueAtKey = defineSearchAttributeKey('CourseNextDueAt', SearchAttributeType.DATETIME);
/** `failed` once the course's record could not be written (the course then refuses every command); unset otherwise. */
export const CourseRecordKey = defineSearchAttributeKey('CourseRecord', SearchAttributeType.KEYWORD);
