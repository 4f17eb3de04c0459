import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { queryRows } from '@care/event-store';
import { ApiError } from '../errors/api-error';
import { DATA_SOURCE } from '../infrastructure/tokens';

export type ActiveCourseKey = { siteId: string; patientRef: string; protocolId: string };
export type HolderState = 'active' | 'closed' | 'absent';

/** How long a start may take to reach the record before its place counts as abandoned (an unstarted workflow ends after 10 minutes). */
const ABANDONED_START_MS = 15 * 60_000;

/**
 * One active course per patient, protocol and site (`api.active_courses`). The first start takes the
 * place (the primary key decides between concurrent ones); a later start is refused with 409
 * `COURSE_ALREADY_ACTIVE` naming the course, unless that course has closed since, or its start never
 * reached the record, in which case the new one takes the place over (compare-and-set).
 */
@Injectable()
export class ActiveCourses {
  constructor(@Inject(DATA_SOURCE) private readonly db: DataSource) {}

  async claim(key: ActiveCourseKey, courseId: string, holderState: (courseId: string) => Promise<HolderState>): Promise<void> {
    for (let tries = 0; tries < 3; tries++) {
      const [held] = (await this.query(
        `INSERT INTO api.active_courses (site_id, patient_ref, protocol_id, course_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT (site_id, patient_ref, protocol_id) DO UPDATE SET course_id = api.active_courses.course_id
         RETURNING course_id, claimed_at`,
        [key.siteId, key.patientRef, key.protocolId, courseId],
      )) as { course_id: string; claimed_at: Date }[];
      if (!held || held.course_id === courseId) return;
      const state = await holderState(held.course_id);
      const abandoned = state === 'absent' && Date.now() - held.claimed_at.getTime() > ABANDONED_START_MS;
      if (state !== 'closed' && !abandoned) {
        throw new ApiError({
          statusCode: 409,
          code: 'COURSE_ALREADY_ACTIVE',
          message: 'This patient already has an active course of this protocol at this site.',
          details: { courseId: held.course_id },
        });
      }
      const moved = queryRows(
        await this.query(
          `UPDATE api.active_courses SET course_id = $5, claimed_at = now()
            WHERE site_id = $1 AND patient_ref = $2 AND protocol_id = $3 AND course_id = $4 RETURNING course_id`,
          [key.siteId, key.patientRef, key.protocolId, held.course_id, courseId],
        ),
      );
      if (moved.length === 1) return;
    }
    throw ApiError.unavailable('The clinical record store');
  }

  /** Gives the place back after the start was refused (only if this course still holds it). */
  async release(key: ActiveCourseKey, courseId: string): Promise<void> {
    await this.query(`DELETE FROM api.active_courses WHERE site_id = $1 AND patient_ref = $2 AND protocol_id = $3 AND course_id = $4`, [
      key.siteId,
      key.patientRef,
      key.protocolId,
      courseId,
    ]).catch(() => undefined);
  }

  /** Nothing was sent anywhere yet when this fails: a retryable 503. */
  private async query(sql: string, params: unknown[]): Promise<unknown> {
    try {
      return await this.db.query(sql, params);
    } catch {
      throw ApiError.unavailable('The clinical record store');
    }
  }
}
