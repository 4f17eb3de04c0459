import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router-dom';
import { PageTitle } from '../ui/feedback';
import { PAGES } from './paths';
import { SourcesSection } from './SourcesSection';
import { SubscriptionsSection } from './SubscriptionsSection';

export const IntegrationsPage = () => (
  <>
    <PageTitle title="Integrations">Integrations</PageTitle>
    <p>Webhooks between this service and the other systems of your sites. Every change here is recorded in the access log.</p>
    <SourcesSection />
    <SubscriptionsSection />
    <FindEventDeliveries />
  </>
);

/** Every delivery of one recorded course event (its id is in each webhook's `data.eventId`). */
const FindEventDeliveries = () => {
  const navigate = useNavigate();
  const [eventId, setEventId] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (eventId.trim()) void navigate(PAGES.eventDeliveries(eventId.trim()));
  };
  return (
    <section aria-labelledby="event-deliveries-heading">
      <h2 id="event-deliveries-heading">Deliveries of one event</h2>
      <form onSubmit={submit}>
        <div className="field">
          <label htmlFor="event-id">Event id</label>
          <input id="event-id" type="text" value={eventId} onChange={(e) => setEventId(e.target.value)} required autoComplete="off" spellCheck={false} aria-describedby="event-id-hint" />
          <p className="hint" id="event-id-hint">
            The id of a recorded course event, as sent in a webhook's <code>data.eventId</code>, e.g. 3f0c2a9e-1b7d-4c55-9a3e-2d8f6b1c0e47.
          </p>
        </div>
        <button type="submit">Show its deliveries</button>
      </form>
    </section>
  );
};
