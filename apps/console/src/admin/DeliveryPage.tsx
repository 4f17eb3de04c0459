import { Link, useParams } from 'react-router-dom';
import { useApiGet } from '../api/queries';
import { ErrorNotice, Loading, PageTitle } from '../ui/feedback';
import { formatTime } from '../ui/time';
import { DeliveryStatusBadge } from './badges';
import { API, PAGES } from './paths';
import { RedeliverAction } from './RedeliverAction';
import type { DeliveryAttempt, DeliveryDetail } from './types';

export const DeliveryPage = () => {
  const { deliveryId = '' } = useParams();
  const delivery = useApiGet<DeliveryDetail>(API.delivery(deliveryId));
  return (
    <>
      <PageTitle title="Delivery">Delivery</PageTitle>
      {delivery.isPending ? <Loading what="the delivery" /> : null}
      <ErrorNotice error={delivery.error} title="The delivery could not be loaded." />
      {delivery.data ? <DeliveryDetails delivery={delivery.data} /> : null}
    </>
  );
};

const DeliveryDetails = ({ delivery: d }: { delivery: DeliveryDetail }) => (
  <>
    <p>
      <Link to={PAGES.subscription(d.subscriptionId)}>Back to the subscription</Link>
    </p>
    <dl className="summary" data-testid="delivery-details">
      <dt>Event type</dt>
      <dd>
        <code>{d.eventType}</code>
      </dd>
      <dt>Status</dt>
      <dd>
        <DeliveryStatusBadge status={d.status} />
      </dd>
      <dt>Attempts</dt>
      <dd>
        {d.attempts}
        {d.runs > 1 ? ` in ${d.runs} runs` : ''}
      </dd>
      <dt>Event recorded</dt>
      <dd>{formatTime(d.createdAt)}</dd>
      <dt>Last attempt</dt>
      <dd>{formatTime(d.lastAttemptAt)}</dd>
      <dt>Delivered</dt>
      <dd>{formatTime(d.deliveredAt)}</dd>
      <dt>Course</dt>
      <dd>
        <code>{d.courseId}</code> at {d.siteId}
      </dd>
      <dt>Event</dt>
      <dd>
        <Link to={PAGES.eventDeliveries(d.eventId)}>
          <code>{d.eventId}</code>
        </Link>{' '}
        <span className="small">(every delivery of this event)</span>
      </dd>
      <dt>Delivery id</dt>
      <dd>
        <code>{d.deliveryId}</code> <span className="small">(sent as the webhook-id header)</span>
      </dd>
    </dl>
    <RedeliverAction delivery={d} />
    <Attempts attempts={d.attemptsLog} />
    <h2>What is sent</h2>
    <p>The webhook's body: what happened and to which course, never patient data.</p>
    <pre className="json" data-testid="delivery-payload">
      {JSON.stringify(d.payload, null, 2)}
    </pre>
  </>
);

const outcomeOf = (a: DeliveryAttempt) => (a.statusCode !== null ? `HTTP ${a.statusCode}` : (a.error ?? 'No answer'));

const Attempts = ({ attempts }: { attempts: DeliveryAttempt[] }) => (
  <>
    <h2>Attempts</h2>
    {attempts.length === 0 ? (
      <p>No attempt yet.</p>
    ) : (
      <table>
        <thead>
          <tr>
            <th scope="col">Attempt</th>
            <th scope="col">Run</th>
            <th scope="col">Time</th>
            <th scope="col">HTTP status or error</th>
            <th scope="col">Duration</th>
            <th scope="col">Start of the answer</th>
          </tr>
        </thead>
        <tbody>
          {attempts.map((a) => (
            <tr key={a.attempt} data-testid="attempt-row">
              <td>{a.attempt}</td>
              <td>{a.run}</td>
              <td>{formatTime(a.attemptedAt)}</td>
              <td>
                {outcomeOf(a)}
                {a.statusCode !== null && a.error ? <span className="small"> ({a.error})</span> : null}
              </td>
              <td>{a.latencyMs} ms</td>
              <td>{a.responseExcerpt ? <pre className="json">{a.responseExcerpt}</pre> : <span className="muted">None</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    )}
  </>
);
