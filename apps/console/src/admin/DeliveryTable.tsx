import { Link } from 'react-router-dom';
import { formatTime } from '../ui/time';
import { DeliveryStatusBadge } from './badges';
import { PAGES } from './paths';
import { RedeliverAction } from './RedeliverAction';
import type { Delivery } from './types';

type Props = {
  deliveries: Delivery[];
  caption: string;
  /** On an event's page the rows belong to several subscriptions: link each one. */
  showSubscription?: boolean;
  subscriptionDisabled?: boolean;
};

const attemptsText = (d: Delivery) => (d.runs > 1 ? `${d.attempts} (in ${d.runs} runs)` : String(d.attempts));

export const DeliveryTable = ({ deliveries, caption, showSubscription = false, subscriptionDisabled = false }: Props) => (
  <>
    <table>
      <caption className="muted small">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Event type</th>
          <th scope="col">Event recorded</th>
          {showSubscription ? <th scope="col">Subscription</th> : null}
          <th scope="col">Status</th>
          <th scope="col">Attempts</th>
          <th scope="col">Last attempt</th>
          <th scope="col">Delivered</th>
          <th scope="col">Actions</th>
        </tr>
      </thead>
      <tbody>
        {deliveries.map((d) => (
          <tr key={d.deliveryId} data-testid="delivery-row">
            <td>
              <code>{d.eventType}</code>
              <br />
              <span className="small">course {d.courseId}</span>
            </td>
            <td>{formatTime(d.createdAt)}</td>
            {showSubscription ? (
              <td>
                <Link to={PAGES.subscription(d.subscriptionId)}>Subscription</Link>
              </td>
            ) : null}
            <td>
              <DeliveryStatusBadge status={d.status} />
            </td>
            <td>{attemptsText(d)}</td>
            <td>{formatTime(d.lastAttemptAt)}</td>
            <td>{formatTime(d.deliveredAt)}</td>
            <td>
              <p>
                <Link to={PAGES.delivery(d.deliveryId)} aria-label={`Attempts of the ${d.eventType} delivery of ${formatTime(d.createdAt)}`}>
                  Attempts
                </Link>
              </p>
              <RedeliverAction delivery={d} subscriptionDisabled={subscriptionDisabled} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
    <p className="hint">The endpoint's answer (HTTP status or error) and the time of each attempt are on each delivery's attempts page.</p>
  </>
);
