import { Link } from 'react-router-dom';
import { useApiGet } from '../api/queries';
import type { Worklist } from '../api/types';
import { useSession } from '../auth/session';
import { ROLE_LABELS } from '../app/navigation';
import { ErrorNotice, Loading, Notice, PageTitle } from '../ui/feedback';
import { formatTime, relativeTo } from '../ui/time';
import { useProtocolPermissions } from './protocol-hooks';

/** How often the worklist refreshes itself. */
const REFRESH_MS = 30_000;

/** Steps due and overdue today at my site, soonest first, with who may do them; refreshes itself. */
export const WorklistPage = () => {
  const { identity } = useSession();
  const worklist = useApiGet<Worklist>('/worklist', { refetchInterval: REFRESH_MS });
  const rolesOf = useProtocolPermissions();
  return (
    <>
      <PageTitle title="Worklist">Worklist · {identity?.siteId}</PageTitle>
      <p className="muted" aria-live="polite">
        Steps due or overdue today, soonest first. {worklist.data ? `Updated ${formatTime(worklist.data.asOf)}; refreshes every ${REFRESH_MS / 1000} seconds.` : ''}{' '}
        <Link to="/courses/new">Start a course</Link>
      </p>
      {worklist.isPending ? <Loading what="the worklist" /> : null}
      <ErrorNotice error={worklist.error} title="The worklist could not be loaded." />
      {worklist.data && worklist.data.eventsBehind > 0 ? (
        <Notice kind="warning">The list is catching up with the latest {worklist.data.eventsBehind} recorded steps; a step just recorded may still show.</Notice>
      ) : null}
      {worklist.data && worklist.data.items.length === 0 ? <p data-testid="worklist-empty">Nothing is due today at this site.</p> : null}
      {worklist.data && worklist.data.items.length > 0 ? (
        <table data-testid="worklist">
          <caption className="muted">{worklist.data.items.length} steps</caption>
          <thead>
            <tr>
              <th scope="col">Due</th>
              <th scope="col">Patient</th>
              <th scope="col">Step</th>
              <th scope="col">Window</th>
              <th scope="col">Who may do it</th>
            </tr>
          </thead>
          <tbody>
            {worklist.data.items.map((item) => (
              <tr key={`${item.courseId}|${item.label}|${item.dueAt}`} data-testid="worklist-row">
                <td>
                  {item.overdue ? <span className="badge badge-overdue">Overdue</span> : item.openEnded ? <span className="badge badge-ok">Due</span> : <span className="badge badge-due">Due</span>}{' '}
                  {relativeTo(item.dueAt)}
                </td>
                <td>
                  <Link to={`/courses/${encodeURIComponent(item.courseId)}`}>{item.patientRef ?? item.courseId}</Link>
                </td>
                <td>
                  {item.label}
                  {item.sessionKey ? <span className="muted small"> · {item.sessionKey}</span> : null}
                </td>
                <td className="small">
                  {item.earliestAt ? `from ${formatTime(item.earliestAt)} ` : ''}
                  {item.openEnded ? `from ${formatTime(item.dueAt)}` : `until ${formatTime(item.dueAt)}`}
                </td>
                <td className="small">{rolesOf(item.protocol, item.command).map((r) => ROLE_LABELS[r] ?? r).join(', ') || '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </>
  );
};
