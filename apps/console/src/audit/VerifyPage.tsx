import { useMutation } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { query } from '../api/http';
import { useSession } from '../auth/session';
import { ErrorNotice, Notice, PageTitle } from '../ui/feedback';
import { explain, whereOf } from './mismatch';
import type { LedgerVerification } from './types';

type Range = { fromLeaf: string; toLeaf: string };

/** Recomputes the signed ledger on request (it reads every record: only when the auditor asks). */
export const VerifyPage = () => {
  const { api } = useSession();
  const [range, setRange] = useState<Range>({ fromLeaf: '', toLeaf: '' });
  const controller = useRef<AbortController | null>(null);
  useEffect(() => () => controller.current?.abort(), []);

  const verify = useMutation<LedgerVerification, unknown, Range>({
    mutationFn: async (r) => {
      controller.current?.abort();
      controller.current = new AbortController();
      return (await api<LedgerVerification>(`/audit/verify${query({ fromLeaf: r.fromLeaf.trim(), toLeaf: r.toLeaf.trim() })}`, { signal: controller.current.signal })).body;
    },
  });
  const stopped = verify.error instanceof Error && verify.error.name === 'AbortError';

  const submit = (event: FormEvent) => {
    event.preventDefault();
    verify.mutate(range);
  };

  return (
    <>
      <PageTitle title="Verify the ledger">Verify the ledger</PageTitle>
      <p>
        The service recomputes every signed checkpoint, every ledger entry from its stored record, every event's hash and every course's hash chain, and names the first place where
        they disagree.
      </p>
      <form onSubmit={submit}>
        <fieldset>
          <legend>Range (optional: leave both empty to verify the whole ledger)</legend>
          <RangeInput id="verify-from" label="From ledger entry" hint="The first ledger entry to recompute, counting from 0." value={range.fromLeaf} onChange={(v) => setRange((s) => ({ ...s, fromLeaf: v }))} min={0} />
          <RangeInput id="verify-to" label="Up to ledger entry" hint="Recompute entries before this one (it is not included); must be greater than the first." value={range.toLeaf} onChange={(v) => setRange((s) => ({ ...s, toLeaf: v }))} min={1} />
        </fieldset>
        <div className="actions">
          <button type="submit" disabled={verify.isPending}>
            {verify.isPending ? 'Verifying…' : 'Verify the ledger'}
          </button>
          {verify.isPending ? (
            <button type="button" className="secondary" onClick={() => controller.current?.abort()}>
              Stop waiting
            </button>
          ) : null}
        </div>
      </form>
      {verify.isPending ? (
        <p className="muted" role="status">
          Verifying… a long ledger can take a while.
        </p>
      ) : null}
      {stopped ? <Notice kind="warning">You stopped waiting; no result was received.</Notice> : <ErrorNotice error={verify.error} title="The ledger could not be verified." />}
      {verify.data ? <VerifyResult result={verify.data} /> : null}
    </>
  );
};

type RangeInputProps = { id: string; label: string; hint: string; value: string; onChange: (value: string) => void; min: number };

const RangeInput = ({ id, label, hint, value, onChange, min }: RangeInputProps) => (
  <div className="field">
    <label htmlFor={id}>{label}</label>
    <input id={id} type="number" inputMode="numeric" min={min} step={1} value={value} onChange={(e) => onChange(e.target.value)} aria-describedby={`${id}-hint`} />
    <p id={`${id}-hint`} className="hint">
      {hint}
    </p>
  </div>
);

const VerifyResult = ({ result }: { result: LedgerVerification }) => (
  <section aria-labelledby="verify-result-heading">
    <h2 id="verify-result-heading">Result</h2>
    {result.ok || !result.firstMismatch ? (
      <Notice kind="success">
        <span data-testid="verify-result">
          Verified: {result.checkedEntries} {result.checkedEntries === 1 ? 'entry' : 'entries'}, no mismatch.
        </span>
      </Notice>
    ) : (
      <div className="notice notice-error" role="alert" data-testid="verify-mismatch">
        <strong>The ledger does not verify.</strong> The first mismatch: {explain(result.firstMismatch)}
        <dl className="summary">
          <dt>Where</dt>
          <dd>{whereOf(result.firstMismatch)}</dd>
          <dt>What differs</dt>
          <dd>{result.firstMismatch.reason}</dd>
          <dt>Entries checked before it</dt>
          <dd>{result.checkedEntries}</dd>
        </dl>
        <p>Nothing after the first mismatch was checked. Keep this result and report it to whoever runs the service.</p>
      </div>
    )}
    <Checkpoint result={result} />
  </section>
);

/** The signed state the run ended on: after a clean run, the latest signed checkpoint's size and root. */
const Checkpoint = ({ result }: { result: LedgerVerification }) => (
  <>
    <h3>Signed checkpoints</h3>
    {result.checkpoints === 0 ? (
      <p>No checkpoint has been signed yet.</p>
    ) : (
      <dl className="summary" data-testid="verify-checkpoint">
        <dt>Checkpoints checked</dt>
        <dd>{result.checkpoints}</dd>
        {result.ok ? (
          <>
            <dt>Latest checkpoint covers</dt>
            <dd>{result.treeSize} ledger entries</dd>
            <dt>Its root hash</dt>
            <dd>
              <code className="audit-hash">{result.rootHash ?? '—'}</code>
            </dd>
          </>
        ) : null}
      </dl>
    )}
    {result.pendingEvents > 0 ? (
      <p className="muted">
        {result.pendingEvents} recent {result.pendingEvents === 1 ? 'event is' : 'events are'} not yet in a signed checkpoint; their hashes and chains were checked.
      </p>
    ) : null}
  </>
);
