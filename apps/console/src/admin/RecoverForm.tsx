import { useId, useState, type FormEvent } from 'react';
import { ErrorNotice, Notice } from '../ui/feedback';
import { formatTime, fromLocalInput, toLocalInput } from '../ui/time';
import { API } from './paths';
import type { RecoverAnswer, Subscription } from './types';
import { useApiCommand } from './useApiCommand';

/** Where to start by default: when the trouble began, else a day ago. */
const defaultSince = (s: Subscription): string => {
  const start = s.failingSince ?? s.disabledAt;
  return toLocalInput(start ? new Date(start) : new Date(Date.now() - 24 * 3_600_000));
};

export const RecoverForm = ({ subscription: s }: { subscription: Subscription }) => {
  const [since, setSince] = useState(() => defaultSince(s));
  const [invalid, setInvalid] = useState(false);
  const recover = useApiCommand<RecoverAnswer, { since: string }>('POST', [API.subscriptions]);
  const hintId = useId();
  const errorId = useId();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const iso = fromLocalInput(since);
    setInvalid(iso === null);
    if (iso) recover.mutate({ path: API.recover(s.subscriptionId), body: { since: iso } });
  };

  return (
    <section aria-labelledby="recover-heading">
      <h2 id="recover-heading">Recover missed deliveries</h2>
      {/* What IntegrationsStore.recover does: failed or skipped deliveries since a time go back to pending, each with a new run. */}
      <p>
        Use this once the endpoint works again. It sends again every delivery of this subscription, created since the time you choose, that <em>failed</em> (the service gave up
        on it) or was <em>skipped</em> (the subscription was disabled). Each one starts its retry schedule afresh. Deliveries already delivered or still pending are not
        touched. At most 10,000 are queued at a time, oldest first: run it again if more remain.
      </p>
      {!s.enabled ? (
        <Notice kind="warning">The subscription is disabled: enable it first, or what you recover is skipped again.</Notice>
      ) : null}
      {recover.data ? (
        <Notice kind="success">
          {recover.data.requeued === 0
            ? `No failed or skipped delivery since ${formatTime(recover.data.since)}: nothing was queued.`
            : `${recover.data.requeued} ${recover.data.requeued === 1 ? 'delivery was' : 'deliveries were'} queued again (created since ${formatTime(recover.data.since)}).`}
        </Notice>
      ) : null}
      <ErrorNotice error={recover.error} refusedTitle="Nothing was recovered." />
      <form onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor="recover-since">Since</label>
          <input
            id="recover-since"
            type="datetime-local"
            value={since}
            onChange={(e) => setSince(e.target.value)}
            required
            aria-invalid={invalid}
            aria-describedby={invalid ? `${hintId} ${errorId}` : hintId}
          />
          <p className="hint" id={hintId}>
            Your local time. Filled in with when the failures began, or else a day ago.
          </p>
          {invalid ? (
            <p className="field-error" id={errorId}>
              Enter a date and a time.
            </p>
          ) : null}
        </div>
        <button type="submit" disabled={recover.isPending}>
          {recover.isPending ? 'Recovering…' : 'Send failed and skipped deliveries again'}
        </button>
      </form>
    </section>
  );
};
