import { useApiGet } from '../api/queries';
import { ErrorNotice, Loading, PageTitle } from '../ui/feedback';
import { AUDIT_READ, Moment, roleLabel } from './display';
import { apiPath, CURSOR, DENIAL_FILTERS } from './filters';
import { FilterForm } from './FilterForm';
import { Pager, useUrlFilters } from './paging';
import type { Denial, Page } from './types';

const ACTIONS: Record<string, string> = {
  authenticate: 'Sign-in or token refused',
  access: 'Permission missing',
  sign: 'Signature refused',
};

/** Refused requests of your sites, and failed sign-ins (anonymous: an unverified token names no one). */
export const DenialsPage = () => {
  const { params, values, search, formKey, cursor } = useUrlFilters(DENIAL_FILTERS);
  const page = useApiGet<Page<Denial>>(apiPath('/audit/denials', DENIAL_FILTERS, params, { [CURSOR]: cursor }), AUDIT_READ);
  return (
    <>
      <PageTitle title="Denials">Denials</PageTitle>
      <p>Requests the service refused: failed sign-ins, missing permissions and failed signatures. Oldest first.</p>
      <FilterForm key={formKey} fields={DENIAL_FILTERS} values={values} submitLabel="Search" onSubmit={(v) => search(v, () => void page.refetch())} busy={page.isFetching} />
      <h2>Refused requests</h2>
      {page.isPending ? <Loading what="the denials" /> : null}
      <ErrorNotice error={page.error} title="The denials could not be read." />
      {page.data ? <DenialsTable entries={page.data.entries} /> : null}
      {page.data ? <Pager nextCursor={page.data.nextCursor} what="the denials" /> : null}
    </>
  );
};

const DenialsTable = ({ entries }: { entries: Denial[] }) => {
  if (entries.length === 0) return <p data-testid="denials-empty">No refused requests since this time.</p>;
  return (
    <table className="audit-table" data-testid="denials-table">
      <caption className="muted small">{entries.length} on this page. Times are local, with UTC beneath.</caption>
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">Who</th>
          <th scope="col">What was refused</th>
          <th scope="col">Request</th>
          <th scope="col">Reason</th>
          <th scope="col">Request id</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((d) => (
          <tr key={d.accessId} data-testid="denials-row">
            <td>
              <Moment iso={d.at} />
            </td>
            <td>
              {d.actor.id === 'anonymous' ? <span className="muted">anonymous (unverified token)</span> : d.actor.id}
              {d.actor.id !== 'anonymous' ? (
                <>
                  <br />
                  <span className="muted small">
                    {roleLabel(d.actor.role)} · {d.actor.siteId}
                  </span>
                </>
              ) : null}
            </td>
            <td>{ACTIONS[d.action] ?? d.action}</td>
            <td>
              <code className="audit-hash small">{d.resource}</code>
              {d.courseId ? (
                <>
                  <br />
                  <span className="muted small">course {d.courseId}</span>
                </>
              ) : null}
            </td>
            <td>{d.reason ?? <span className="muted">—</span>}</td>
            <td>{d.correlationId ? <code className="audit-hash small">{d.correlationId}</code> : '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
};
