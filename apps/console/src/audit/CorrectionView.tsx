import { Link } from 'react-router-dom';
import { query } from '../api/http';
import { isRecord, Value } from './display';
import type { AuditEntry } from './types';

type Correction = NonNullable<AuditEntry['correction']>;

/**
 * The value a correction replaced, beside the new one. The API's old value is the previous
 * correction's values or, for a first correction, the corrected record's whole data, where an
 * assessment keeps its scores under `values` (vital signs keep theirs at the top). A correction changes
 * only the fields it names, so those are the rows.
 */
const before = (oldValue: unknown, field: string): unknown => {
  if (!isRecord(oldValue)) return undefined;
  const nested = oldValue['values'];
  if (isRecord(nested) && field in nested) return nested[field];
  return oldValue[field];
};

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export const CorrectionView = ({ entry, correction }: { entry: AuditEntry; correction: Correction }) => {
  const { oldValue, newValue } = correction;
  const correctedSearch = query({ courseId: entry.courseId, eventType: correction.correctedType });
  return (
    <div data-testid="correction">
      <dl className="summary">
        <dt>Corrects</dt>
        <dd>
          {correction.correctedType ?? 'an entry'} (version {correction.correctedVersion} of course {entry.courseId ?? '—'}){' '}
          {entry.courseId && correction.correctedType ? <Link to={{ pathname: '/audit/events', search: correctedSearch }}>find the corrected entry</Link> : null}
        </dd>
        <dt>Reason for the correction</dt>
        <dd data-testid="correction-reason">{correction.reason ?? <span className="muted">none given</span>}</dd>
      </dl>
      {isRecord(newValue) ? <FieldTable oldValue={oldValue} newValue={newValue} /> : <WholeValues oldValue={oldValue} newValue={newValue} />}
      {isRecord(newValue) ? (
        <details>
          <summary>Everything the record said before this correction</summary>
          <Value value={oldValue} />
        </details>
      ) : null}
    </div>
  );
};

const FieldTable = ({ oldValue, newValue }: { oldValue: unknown; newValue: Record<string, unknown> }) => (
  <table data-testid="correction-values">
    <caption className="muted small">Fields not listed keep their earlier value.</caption>
    <thead>
      <tr>
        <th scope="col">Field</th>
        <th scope="col">Old value</th>
        <th scope="col">New value</th>
      </tr>
    </thead>
    <tbody>
      {Object.entries(newValue).map(([field, value]) => {
        const old = before(oldValue, field);
        return (
          <tr key={field}>
            <th scope="row">
              <code>{field}</code>
            </th>
            <td data-testid="correction-old">{old === undefined ? <span className="muted">not set</span> : <Value value={old} />}</td>
            <td data-testid="correction-new">
              <Value value={value} />
              {same(old, value) ? <span className="muted small"> (unchanged)</span> : null}
            </td>
          </tr>
        );
      })}
    </tbody>
  </table>
);

/** When the values are not field lists, both are shown whole, side by side. */
const WholeValues = ({ oldValue, newValue }: { oldValue: unknown; newValue: unknown }) => (
  <div className="cards" data-testid="correction-values">
    <section className="card" aria-label="Old value">
      <h3>Old value</h3>
      <div data-testid="correction-old">
        <Value value={oldValue} />
      </div>
    </section>
    <section className="card" aria-label="New value">
      <h3>New value</h3>
      <div data-testid="correction-new">
        <Value value={newValue} />
      </div>
    </section>
  </div>
);
