import { Link } from 'react-router-dom';
import { useApiGet } from '../api/queries';
import { ErrorNotice, Loading, PageTitle } from '../ui/feedback';
import { asSignature, AUDIT_READ, Moment, roleLabel } from './display';
import { entryLink, type EntryState } from './entryLink';
import { apiPath, CURSOR, EVENT_FILTERS, EVENTS_PAGE_FILTERS, searchParamsOf } from './filters';
import { FilterForm } from './FilterForm';
import { Pager, useUrlFilters } from './paging';
import type { AuditEntry, Page } from './types';

/** The audit trail: filters kept in the URL, results oldest first, one page at a time. */
export const AuditEventsPage = () => {
  const { params, values, search, formKey, cursor } = useUrlFilters(EVENTS_PAGE_FILTERS);
  const path = apiPath('/audit/events', EVENTS_PAGE_FILTERS, params, { [CURSOR]: cursor });
  const page = useApiGet<Page<AuditEntry>>(path, AUDIT_READ);
  const exportSearch = searchParamsOf(Object.fromEntries(Object.entries(values).filter(([k]) => EVENT_FILTERS.some((f) => f.name === k)))).toString();

  return (
    <>
      <PageTitle title="Audit trail">Audit trail</PageTitle>
      <p>Who did what, when and why, for the courses of your sites. Entries are listed oldest first.</p>
      <FilterForm key={formKey} fields={EVENTS_PAGE_FILTERS} values={values} submitLabel="Search" onSubmit={(v) => search(v, () => void page.refetch())} busy={page.isFetching} />
      <h2>Entries</h2>
      <p>
        <Link to={{ pathname: '/audit/export', search: exportSearch ? `?${exportSearch}` : '' }}>Export every entry that matches these filters</Link>
      </p>
      {page.isPending ? <Loading what="the audit trail" /> : null}
      <ErrorNotice error={page.error} title="The audit trail could not be read." />
      {page.data ? <EntriesTable entries={page.data.entries} /> : null}
      {page.data ? <Pager nextCursor={page.data.nextCursor} what="the audit trail" /> : null}
    </>
  );
};

const EntriesTable = ({ entries }: { entries: AuditEntry[] }) => {
  if (entries.length === 0) return <p data-testid="audit-no-entries">No entries match these filters.</p>;
  return (
    <table className="audit-table" data-testid="audit-events-table">
      <caption className="muted small">
        {entries.length} {entries.length === 1 ? 'entry' : 'entries'} on this page. Times are local, with UTC beneath.
      </caption>
      <thead>
        <tr>
          <th scope="col">Position</th>
          <th scope="col">Recorded</th>
          <th scope="col">Clinical time</th>
          <th scope="col">Who</th>
          <th scope="col">Event</th>
          <th scope="col">Course</th>
          <th scope="col">Signature and flags</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((e) => (
          <EntryRow key={e.eventId} entry={e} />
        ))}
      </tbody>
    </table>
  );
};

const EntryRow = ({ entry }: { entry: AuditEntry }) => {
  const state: EntryState = { entry };
  return (
    <tr data-testid="audit-event-row">
      <td>{entry.position}</td>
      <td>
        <Moment iso={entry.when.recordedAt} />
      </td>
      <td>{entry.when.clinicalTime ? <Moment iso={entry.when.clinicalTime} /> : <span className="muted">not a clinical step</span>}</td>
      <td>
        {entry.who.name ?? <span className="muted">unnamed</span>}
        <br />
        <span className="muted small">
          {roleLabel(entry.who.role)}
          {entry.who.id ? ` · ${entry.who.id}` : ''}
        </span>
      </td>
      <td>
        <Link to={entryLink(entry)} state={state}>
          {entry.what.type}
        </Link>
      </td>
      <td>
        {entry.courseId ?? '—'}
        {entry.siteId ? (
          <>
            <br />
            <span className="muted small">{entry.siteId}</span>
          </>
        ) : null}
      </td>
      <td>
        <Flags entry={entry} />
      </td>
    </tr>
  );
};

const Flags = ({ entry }: { entry: AuditEntry }) => {
  const flags = [
    asSignature(entry.signature) ? { text: 'signed', cls: 'badge-ok' } : null,
    asSignature(entry.voidedSignature) ? { text: 'voids a signature', cls: 'badge-due' } : null,
    entry.correction ? { text: 'correction', cls: 'badge-due' } : null,
    entry.when.lateEntry ? { text: 'late entry', cls: 'badge-due' } : null,
  ].filter((f): f is { text: string; cls: string } => f !== null);
  if (flags.length === 0) return <span className="muted">—</span>;
  return (
    <>
      {flags.map((f) => (
        <span key={f.text}>
          <span className={`badge ${f.cls}`}>{f.text}</span>{' '}
        </span>
      ))}
    </>
  );
};
