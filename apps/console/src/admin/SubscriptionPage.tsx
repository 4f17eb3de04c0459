import { Link, useParams } from 'react-router-dom';
import { useApiGet } from '../api/queries';
import { ErrorNotice, Loading, PageTitle } from '../ui/feedback';
import { formatTime } from '../ui/time';
import { FailingSince, SecretsSummary, SubscriptionStatus } from './badges';
import { DeliveryLog } from './DeliveryLog';
import { API, PAGES } from './paths';
import { EnableSection, RotateSubscriptionSecret } from './SubscriptionActions';
import { RecoverForm } from './RecoverForm';
import { SubscriptionEditForm } from './SubscriptionEditForm';
import { EventTypeList } from './SubscriptionsSection';
import type { OperationalEvent, SubscriptionDetail } from './types';

export const SubscriptionPage = () => {
  const { subscriptionId = '' } = useParams();
  const subscription = useApiGet<SubscriptionDetail>(API.subscription(subscriptionId));
  return (
    <>
      <PageTitle title="Subscription">Outbound subscription</PageTitle>
      <p>
        <Link to={PAGES.integrations}>Back to integrations</Link>
      </p>
      {subscription.isPending ? <Loading what="the subscription" /> : null}
      <ErrorNotice error={subscription.error} title="The subscription could not be loaded." />
      {subscription.data ? <SubscriptionSections subscription={subscription.data} /> : null}
    </>
  );
};

const SubscriptionSections = ({ subscription: s }: { subscription: SubscriptionDetail }) => (
  <>
    <SubscriptionSummary subscription={s} />
    <SubscriptionEditForm subscription={s} />
    <EnableSection subscription={s} />
    <RotateSubscriptionSecret subscriptionId={s.subscriptionId} />
    <RecoverForm subscription={s} />
    <OperationalEvents events={s.operationalEvents} />
    <DeliveryLog subscriptionId={s.subscriptionId} subscriptionDisabled={!s.enabled} />
  </>
);

const SubscriptionSummary = ({ subscription: s }: { subscription: SubscriptionDetail }) => (
  <section aria-labelledby="details-heading">
    <h2 id="details-heading">Details</h2>
    <dl className="summary" data-testid="subscription-details">
      <dt>Endpoint URL</dt>
      <dd>
        <code>{s.url}</code>
      </dd>
      <dt>Description</dt>
      <dd>{s.description || <span className="muted">None</span>}</dd>
      <dt>Site</dt>
      <dd>{s.siteId}</dd>
      <dt>Status</dt>
      <dd>
        <SubscriptionStatus subscription={s} />
        {s.disabledAt ? ` since ${formatTime(s.disabledAt)}` : null}
      </dd>
      <dt>Failing since</dt>
      <dd>
        <FailingSince since={s.failingSince} />
      </dd>
      <dt>Event types</dt>
      <dd>
        <EventTypeList types={s.eventTypes} />
      </dd>
      <dt>Signing secret</dt>
      <dd>
        <SecretsSummary secrets={s.secrets} />
      </dd>
      <dt>Created</dt>
      <dd>
        {formatTime(s.createdAt)} by {s.createdBy}
      </dd>
      <dt>Last changed</dt>
      <dd>{formatTime(s.updatedAt)}</dd>
      <dt>Subscription id</dt>
      <dd>
        <code>{s.subscriptionId}</code>
      </dd>
    </dl>
  </section>
);

/** What the delivery service recorded about this endpoint, e.g. that it was disabled after failing. */
const OperationalEvents = ({ events }: { events: OperationalEvent[] }) => (
  <section aria-labelledby="operational-heading">
    <h2 id="operational-heading">What happened to this endpoint</h2>
    {events.length === 0 ? (
      <p>Nothing: the endpoint was never disabled by the service and no delivery used up its attempts.</p>
    ) : (
      <table>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">What</th>
            <th scope="col">Detail</th>
          </tr>
        </thead>
        <tbody>
          {events.map((e) => (
            <tr key={e.id}>
              <td>{formatTime(e.recordedAt)}</td>
              <td>{OPERATIONAL_LABELS[e.type] ?? <code>{e.type}</code>}</td>
              <td>
                <pre className="json">{JSON.stringify(e.detail, null, 2)}</pre>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    )}
  </section>
);

// The types the worker records (apps/worker/src/webhooks/webhook-delivery.activities.ts).
const OPERATIONAL_LABELS: Record<string, string> = {
  'endpoint.disabled': 'The service disabled the endpoint',
  'message.attempt.exhausted': 'A delivery used up its attempts',
};
