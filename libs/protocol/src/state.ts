export type CourseStatus = 'not_started' | 'active' | 'on_hold' | 'withdrawn' | 'completed';

export type CourseState = {
  /** Number of events folded so far; the stream version of the last one. */
  version: number;
  status: CourseStatus;
  courseId: string | null;
  siteId: string | null;
  protocol: { id: string; version: number } | null;
  phase: 'screening' | 'preparation' | 'treatment' | 'follow_up' | 'closed' | null;
  screening: { consentRecorded: boolean; emergencyContactRecorded: boolean };
};

export const initialState = (): CourseState => ({
  version: 0,
  status: 'not_started',
  courseId: null,
  siteId: null,
  protocol: null,
  phase: null,
  screening: { consentRecorded: false, emergencyContactRecorded: false },
});
