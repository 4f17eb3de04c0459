import { useApiGet } from '../api/queries';
import { ErrorNotice, Loading, PageTitle } from '../ui/feedback';
import { AUDIT_READ, Moment, roleLabel } from './display';
import { ACCESS_LOG_FILTERS, apiPath, CURSOR } from './filters';
import { FilterForm } from './FilterForm';
import { Pager, useUrlFilters } from './paging';
import type { AccessRecord, Page } from './types';

const OUTCOMES: Record<AccessRecord['outcome'], { text: string; cls: string }> = {
  ok: { text: 'answered', cls: 'badge-ok' },
  not_found: { text: 'not found', cls: 'badge-due' },
  denied: { text: 'refused', cls: 'badge-alert' },
};

/** Who read which data and when, one site at a time (the log is itself part of the signed ledger). */
export const AccessLogPage = () => {
  const { params, values, search, formKey, cursor } = useUrlFilters(ACCESS_LOG_FILTERS);
  const page = useApiGet<Page<AccessRecord>>(apiPath('/audit/access-log', ACCESS_LOG_FILTERS, params, { [CURSOR]: cursor }), AUDIT_READ);
  return (
    <>
      <PageTitle title="Access log">Access log</PageTitle>
      <p>Every read of course and audit data: who, what, when and with which filters. Your own reads here are recorded too. Oldest first.</p>
      <FilterForm key={formKey} fields={ACCESS_LOG_FILTERS} values={values} submitLabel="Search" onSubmit={(v) => search(v, () => void page.refetch())} busy={page.isFetching} />
      <h2>Accesses</h2>
      {page.isPending ? <Loading what="the access log" /> : null}
      <ErrorNotice error={page.error} title="The access log could not be read." />
      {page.data ? <AccessTable entries={page.data.entries} /> : null}
      {page.data ? <Pager nextCursor={page.data.nextCursor} what="the access log" /> : null}
    </>
  );
};

const AccessTable = ({ entries }: { entries: AccessRecord[] }) => {
  if (entries.length === 0) return <p data-testid="access-log-empty">No accesses match these filters.</p>;
  return (
    <table className="audit-table" data-testid="access-log-table">
      <caption className="muted small">{entries.length} on this page. Times are local, with UTC beneath.</caption>
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">Who</th>
          <th scope="col">Action</th>
          <th scope="col">What</th>
          <th scope="col">Outcome</th>
          <th scope="col">Filters used</th>
          <th scope="col">Request id</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((a) => (
          <tr key={a.accessId} data-testid="access-log-row">
            <td>
              <Moment iso={a.accessedAt} />
            </td>
            <td>
              {a.actor.name}
              <br />
              <span className="muted small">
                {roleLabel(a.actor.role)} · {a.actor.id} · {a.actor.siteId}
              </span>
            </td>
            <td>{a.action}</td>
            <td>
              {a.resource}
              {a.courseId ? (
                <>
                  <br />
                  <span className="muted small">course {a.courseId}</span>
                </>
              ) : null}
            </td>
            <td>
              <span className={`badge ${OUTCOMES[a.outcome]?.cls ?? ''}`}>{OUTCOMES[a.outcome]?.text ?? a.outcome}</span>
            </td>
            <td>{a.query && Object.keys(a.query).length ? <code className="audit-hash small">{JSON.stringify(a.query)}</code> : <span className="muted">—</span>}</td>
            <td>{a.correlationId ? <code className="audit-hash small">{a.correlationId}</code> : '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
};
