import { Link, useParams } from 'react-router-dom';
import { useApiGet } from '../api/queries';
import { ErrorNotice, Loading, PageTitle } from '../ui/feedback';
import { DeliveryTable } from './DeliveryTable';
import { API, PAGES } from './paths';
import type { EventDeliveries } from './types';

/** Every delivery of one recorded course event, to every subscription of your sites. */
export const EventDeliveriesPage = () => {
  const { eventId = '' } = useParams();
  const answer = useApiGet<EventDeliveries>(API.eventDeliveries(eventId));
  return (
    <>
      <PageTitle title="Deliveries of an event">Deliveries of an event</PageTitle>
      <p>
        Event <code>{eventId}</code>. <Link to={PAGES.integrations}>Back to integrations</Link>
      </p>
      {answer.isPending ? <Loading what="the deliveries" /> : null}
      <ErrorNotice error={answer.error} title="The deliveries could not be loaded." />
      {answer.data && answer.data.deliveries.length === 0 ? <p>No webhook was sent for this event to a subscription of your sites.</p> : null}
      {answer.data && answer.data.deliveries.length > 0 ? (
        <DeliveryTable deliveries={answer.data.deliveries} caption="Every delivery of this event, one per subscription." showSubscription />
      ) : null}
    </>
  );
};
