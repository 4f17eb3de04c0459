/** A line of `GET /worklist`: a step or due date of a course of the caller's site. */
export type WorklistItem = {
  courseId: string;
  /** The protocol version the course follows (who may take the step is its rule); null if not known. */
  protocol: { id: string; version: number } | null;
  patientRef: string | null;
  label: string;
  command: string;
  sessionKey: string | null;
  /** From when the step can be done (a window opening, the minimum monitoring before discharge); null if at once. */
  earliestAt: string | null;
  /** Its deadline or, for a step without one (`openEnded`: a discharge), the time from which it is due. */
  dueAt: string;
  openEnded: boolean;
  /** Past its deadline; never for an open-ended step. */
  overdue: boolean;
};

export type Worklist = { siteId: string; asOf: string; eventsBehind: number; items: WorklistItem[] };
