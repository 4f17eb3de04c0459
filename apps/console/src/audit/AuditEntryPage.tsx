import { Fragment } from 'react';
import { Link, useLocation, useParams, useSearchParams } from 'react-router-dom';
import { query } from '../api/http';
import { useApiGet } from '../api/queries';
import { ErrorNotice, Loading, Notice, PageTitle } from '../ui/feedback';
import { CorrectionView } from './CorrectionView';
import { asSignature, AUDIT_READ, Moment, roleLabel, Value } from './display';
import { entryLookupPath, type EntryState } from './entryLink';
import { ProofSection } from './ProofSection';
import { SignatureBlock } from './SignatureBlock';
import { SignatureLinkSection } from './SignatureLinkSection';
import type { AuditEntry, Page } from './types';

/** One audit-trail entry, handed over by the list or found again from the URL (see entryLink.ts). */
export const AuditEntryPage = () => {
  const { eventId = '' } = useParams();
  const [params] = useSearchParams();
  const handedOver = (useLocation().state as EntryState | null)?.entry;
  const fromList = handedOver?.eventId === eventId ? handedOver : null;
  const lookup = entryLookupPath(params);
  const found = useApiGet<Page<AuditEntry>>(fromList ? null : lookup, AUDIT_READ);
  const entry = fromList ?? found.data?.entries.find((e) => e.eventId === eventId) ?? null;

  return (
    <>
      <PageTitle title="Audit entry">Audit entry {entry ? `· ${entry.what.type}` : ''}</PageTitle>
      <p>
        <Link to="/audit/events">Back to the audit trail</Link>
      </p>
      {entry ? <EntryDetail entry={entry} /> : <Missing pending={!!lookup && found.isPending} error={found.error} searched={!!lookup && !!found.data} />}
    </>
  );
};

const Missing = ({ pending, error, searched }: { pending: boolean; error: unknown; searched: boolean }) => {
  if (pending) return <Loading what="the entry" />;
  if (error) return <ErrorNotice error={error} title="The entry could not be read." />;
  return (
    <Notice kind="warning">
      {searched
        ? 'No entry with this id at the time and course this link names, at your sites. Search the audit trail for it.'
        : 'This link does not say where the entry is. Open it from the audit trail.'}
    </Notice>
  );
};

const EntryDetail = ({ entry }: { entry: AuditEntry }) => {
  const signature = asSignature(entry.signature);
  const voided = asSignature(entry.voidedSignature);
  return (
    <>
      <Who entry={entry} />
      <What entry={entry} />
      <When entry={entry} />
      <h2>Why</h2>
      <p data-testid="entry-why">{entry.why ?? <span className="muted">No reason is recorded for this entry.</span>}</p>
      <h2>Signature</h2>
      {signature ? (
        <>
          <SignatureBlock signature={signature} testId="signature-manifestation" />
          <SignatureLinkSection entry={entry} />
        </>
      ) : (
        <p data-testid="entry-unsigned">This entry is not signed.</p>
      )}
      {voided ? (
        <>
          <h2>Voided signature</h2>
          <SignatureBlock signature={voided} testId="voided-signature" voided />
        </>
      ) : null}
      {entry.correction ? (
        <>
          <h2>Correction: old and new value</h2>
          <CorrectionView entry={entry} correction={entry.correction} />
        </>
      ) : null}
      <RecordFacts entry={entry} />
      <ProofSection eventId={entry.eventId} />
    </>
  );
};

const Who = ({ entry }: { entry: AuditEntry }) => (
  <>
    <h2>Who</h2>
    <dl className="summary" data-testid="entry-who">
      <dt>Printed name</dt>
      <dd>{entry.who.name ?? '—'}</dd>
      <dt>User id</dt>
      <dd>{entry.who.id ?? '—'}</dd>
      <dt>Role</dt>
      <dd>{roleLabel(entry.who.role)}</dd>
      <dt>Acting for site</dt>
      <dd>{entry.who.siteId ?? '—'}</dd>
    </dl>
  </>
);

/** Signatures are shown in their own sections, so the values list leaves them out. */
const SHOWN_ELSEWHERE = new Set(['signature', 'voidedSignature']);

const What = ({ entry }: { entry: AuditEntry }) => {
  const values = Object.entries(entry.what.data).filter(([k]) => !SHOWN_ELSEWHERE.has(k));
  return (
    <>
      <h2>What</h2>
      <p>
        <strong data-testid="entry-type">{entry.what.type}</strong> <span className="muted small">(schema version {entry.what.schemaVersion})</span>
      </p>
      {values.length ? (
        <dl className="summary" data-testid="entry-values">
          {values.map(([k, v]) => (
            <Fragment key={k}>
              <dt>
                <code>{k}</code>
              </dt>
              <dd>
                <Value value={v} />
              </dd>
            </Fragment>
          ))}
        </dl>
      ) : (
        <p className="muted">This event carries no values.</p>
      )}
      <details>
        <summary>The event's data as stored (JSON)</summary>
        <pre className="json">{JSON.stringify(entry.what.data, null, 2)}</pre>
      </details>
    </>
  );
};

const When = ({ entry }: { entry: AuditEntry }) => {
  const late = entry.when.lateEntry;
  return (
    <>
      <h2>When</h2>
      <dl className="summary" data-testid="entry-when">
        <dt>Recorded by the service</dt>
        <dd>
          <Moment iso={entry.when.recordedAt} />
        </dd>
        <dt>Entered by the person</dt>
        <dd>
          <Moment iso={entry.when.occurredAt} />
        </dd>
        <dt>Clinical time (when it happened)</dt>
        <dd>{entry.when.clinicalTime ? <Moment iso={entry.when.clinicalTime} /> : <span className="muted">not a clinical step</span>}</dd>
        <dt>Late entry</dt>
        <dd data-testid="entry-late">
          {late ? (
            <>
              <span className="badge badge-due">late entry</span> entered {late.minutesAfter} minutes after it happened. Reason: {late.reason}
            </>
          ) : (
            'No'
          )}
        </dd>
      </dl>
    </>
  );
};

const RecordFacts = ({ entry }: { entry: AuditEntry }) => (
  <>
    <h2>Record</h2>
    <dl className="summary" data-testid="entry-record">
      <dt>Position in the log</dt>
      <dd>{entry.position}</dd>
      <dt>Event id</dt>
      <dd>
        <code>{entry.eventId}</code>
      </dd>
      <dt>Course</dt>
      <dd>
        {entry.courseId ? <Link to={{ pathname: '/audit/events', search: query({ courseId: entry.courseId }) }}>{entry.courseId}</Link> : '—'} (version {entry.streamVersion})
      </dd>
      <dt>Site of the course</dt>
      <dd>{entry.siteId ?? '—'}</dd>
      <dt>Patient reference</dt>
      <dd>{entry.patientRef ?? '—'}</dd>
      <dt>Request id</dt>
      <dd>{entry.correlationId ? <code>{entry.correlationId}</code> : '—'}</dd>
      <dt>Hash of this entry (chain)</dt>
      <dd>
        <code className="audit-hash">{entry.hash}</code>
      </dd>
    </dl>
  </>
);
