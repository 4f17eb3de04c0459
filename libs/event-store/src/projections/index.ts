import { courseSummaryProjection } from './course-summary.projection';
import { patientTimelineProjection } from './patient-timeline.projection';
import type { Projection } from './projection';

export * from './course-summary.projection';
export * from './patient-timeline.projection';
export * from './projection';
export * from './projection-runner';

/** Every read model, in the order the runner feeds them. */
export const PROJECTIONS: Projection[] = [courseSummaryProjection, patientTimelineProjection];
