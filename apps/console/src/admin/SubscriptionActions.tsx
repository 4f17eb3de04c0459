import { ErrorNotice, Notice } from '../ui/feedback';
import { formatTime } from '../ui/time';
import { ConfirmAction } from './ConfirmAction';
import { API } from './paths';
import { SecretOnce } from './SecretOnce';
import type { RotatedSecret, Subscription, UpdateSubscriptionBody } from './types';
import { useApiCommand } from './useApiCommand';

/** Disable (with confirmation) or enable deliveries to the endpoint. */
export const EnableSection = ({ subscription: s }: { subscription: Subscription }) => {
  const update = useApiCommand<Subscription, UpdateSubscriptionBody>('PATCH', [API.subscriptions]);
  const send = (enabled: boolean) => update.mutate({ path: API.subscription(s.subscriptionId), body: { enabled } });
  return (
    <section aria-labelledby="enable-heading">
      <h2 id="enable-heading">{s.enabled ? 'Disable deliveries' : 'Enable deliveries'}</h2>
      {update.data ? <Notice kind="success">{update.data.enabled ? 'Deliveries are enabled.' : 'Deliveries are disabled.'}</Notice> : null}
      <ErrorNotice error={update.error} refusedTitle="Not changed." />
      {s.enabled ? (
        <>
          <p>
            Disabling stops sending to this endpoint. Events that happen meanwhile are kept as <em>skipped</em>; after enabling again you can send them with "Recover missed
            deliveries" below.
          </p>
          <ConfirmAction
            label="Disable deliveries"
            question="Stop sending webhooks to this endpoint? Nothing is lost: what happens meanwhile is kept as skipped, to recover later."
            confirmLabel="Yes, disable"
            danger
            disabled={update.isPending}
            onConfirm={() => send(false)}
          />
        </>
      ) : (
        <>
          <p>
            Deliveries are disabled{s.disabledAt ? ` since ${formatTime(s.disabledAt)}` : ''}
            {s.disabledReason ? ` (${s.disabledReason})` : ''}. Enabling resumes sending new events and clears the failure streak. It does not send what was skipped meanwhile: use
            "Recover missed deliveries" for that.
          </p>
          <button type="button" disabled={update.isPending} onClick={() => send(true)}>
            {update.isPending ? 'Enabling…' : 'Enable deliveries'}
          </button>
        </>
      )}
    </section>
  );
};

export const RotateSubscriptionSecret = ({ subscriptionId }: { subscriptionId: string }) => {
  const rotate = useApiCommand<RotatedSecret>('POST', [API.subscriptions]);
  return (
    <section aria-labelledby="secret-heading">
      <h2 id="secret-heading">Signing secret</h2>
      <p>
        The receiver checks each webhook's signature with this secret. A new secret replaces it; for 24 hours every delivery is signed with both, so the receiver keeps
        accepting them while you give it the new one.
      </p>
      <ErrorNotice error={rotate.error} refusedTitle="The secret was not replaced." />
      {rotate.data ? (
        <SecretOnce owner="this subscription" secret={rotate.data.secret} previousValidUntil={rotate.data.previousSecretValidUntil} onDone={rotate.reset} />
      ) : (
        <ConfirmAction
          label="Replace the signing secret"
          question="Make a new signing secret? The current one keeps being used alongside it for 24 hours."
          confirmLabel="Yes, make a new secret"
          disabled={rotate.isPending}
          onConfirm={() => rotate.mutate({ path: API.rotateSubscription(subscriptionId) })}
        />
      )}
    </section>
  );
};
