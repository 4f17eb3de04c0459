import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { WorklistItem } from '@care/contracts';
import { courseSummaryProjection, projectionStatus } from '@care/event-store';
import type { Principal } from '../auth/token-verifier';
import { AuditService } from '../audit/audit.service';
import { DATA_SOURCE } from '../infrastructure/tokens';

/**
 * What is due or overdue today (UTC) at the caller's site, from the course-summary read model, whose lines
 * are the protocol's own `worklistItems` (the steps and due dates `availableSteps` computes).
 */
@Injectable()
export class WorklistService {
  constructor(@Inject(DATA_SOURCE) private readonly db: DataSource, private readonly audit: AuditService) {}

  async forSite(principal: Principal, correlationId: string, clock: () => Date = () => new Date()) {
    const now = clock();
    const endOfToday = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
    const rows = (await this.db.query(
      `SELECT w.course_id, c.patient_ref, c.state -> 'protocol' AS protocol, w.label, w.command, w.session_key, w.earliest_at, w.due_at, w.open_ended
         FROM projections.worklist_items w JOIN projections.course_summary c ON c.stream_id = w.stream_id
        WHERE w.site_id = $1 AND w.due_at < $2 AND c.status IN ('active', 'on_hold')
        ORDER BY w.due_at, w.course_id, w.label`,
      [principal.siteId, endOfToday.toISOString()],
    )) as { course_id: string; patient_ref: string | null; protocol: { id?: unknown; version?: unknown } | null; label: string; command: string; session_key: string | null; earliest_at: Date | null; due_at: Date; open_ended: boolean }[];
    await this.audit.record(principal, { action: 'read', resource: 'worklist', outcome: 'ok', correlationId });
    const [status] = await projectionStatus(this.db, [courseSummaryProjection]);
    return {
      siteId: principal.siteId,
      asOf: now.toISOString(),
      // Staff should know when the list may be missing the latest steps.
      eventsBehind: status?.eventsBehind ?? 0,
      items: rows.map(
        (r): WorklistItem => ({
          courseId: r.course_id,
          protocol: typeof r.protocol?.id === 'string' && typeof r.protocol.version === 'number' ? { id: r.protocol.id, version: r.protocol.version } : null,
          patientRef: r.patient_ref,
          label: r.label,
          command: r.command,
          sessionKey: r.session_key,
          earliestAt: r.earliest_at ? r.earliest_at.toISOString() : null,
          dueAt: r.due_at.toISOString(),
          openEnded: r.open_ended,
          overdue: !r.open_ended && r.due_at.getTime() < now.getTime(),
        }),
      ),
    };
  }
}
