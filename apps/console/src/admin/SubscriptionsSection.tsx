import { useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { useApiGet } from '../api/queries';
import { useSession } from '../auth/session';
import { ErrorNotice, Loading, Notice } from '../ui/feedback';
import { formatTime } from '../ui/time';
import { FailingSince, SubscriptionStatus } from './badges';
import { EventTypeChoices, SiteField } from './fields';
import { API, PAGES } from './paths';
import { SecretOnce } from './SecretOnce';
import type { CreatedSubscription, Subscription, SubscriptionList } from './types';
import { useApiCommand } from './useApiCommand';

export const SubscriptionsSection = () => (
  <section aria-labelledby="subscriptions-heading">
    <h2 id="subscriptions-heading">Outbound subscriptions</h2>
    <p>
      Endpoints of other systems that this service tells when something happens in a course at their site. Each webhook says only what happened and to which course, never patient
      data; it is signed with the subscription's secret.
    </p>
    <SubscriptionTable />
    <CreateSubscriptionForm />
  </section>
);

export const EventTypeList = ({ types }: { types: string[] }) => (
  <ul className="small">
    {types.map((t) => (
      <li key={t}>
        <code>{t}</code>
      </li>
    ))}
  </ul>
);

const SubscriptionTable = () => {
  const subscriptions = useApiGet<SubscriptionList>(API.subscriptions);
  return (
    <>
      <h3>Subscriptions</h3>
      {subscriptions.isPending ? <Loading what="the subscriptions" /> : null}
      <ErrorNotice error={subscriptions.error} title="The subscriptions could not be loaded." />
      {subscriptions.data?.subscriptions.length === 0 ? <p>No endpoint is subscribed yet.</p> : null}
      {subscriptions.data?.subscriptions.length ? (
        <table>
          <thead>
            <tr>
              <th scope="col">Endpoint URL</th>
              <th scope="col">Site</th>
              <th scope="col">Event types</th>
              <th scope="col">Status</th>
              <th scope="col">Failing since</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {subscriptions.data.subscriptions.map((s) => (
              <SubscriptionRow key={s.subscriptionId} subscription={s} />
            ))}
          </tbody>
        </table>
      ) : null}
    </>
  );
};

const SubscriptionRow = ({ subscription: s }: { subscription: Subscription }) => (
  <tr data-testid="subscription-row">
    <td>
      <Link to={PAGES.subscription(s.subscriptionId)}>{s.url}</Link>
      {s.description ? <p className="hint">{s.description}</p> : null}
    </td>
    <td>{s.siteId}</td>
    <td>
      <EventTypeList types={s.eventTypes} />
    </td>
    <td>
      <SubscriptionStatus subscription={s} />
    </td>
    <td>
      <FailingSince since={s.failingSince} />
    </td>
    <td>{formatTime(s.createdAt)}</td>
  </tr>
);

type CreateBody = { url: string; siteId: string; eventTypes: string[]; description?: string };

const CreateSubscriptionForm = () => {
  const { identity } = useSession();
  const [url, setUrl] = useState('');
  const [siteId, setSiteId] = useState(identity?.siteId ?? '');
  const [eventTypes, setEventTypes] = useState<string[]>([]);
  const [description, setDescription] = useState('');
  const create = useApiCommand<CreatedSubscription, CreateBody>('POST', [API.subscriptions]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const body: CreateBody = { url: url.trim(), siteId, eventTypes, ...(description.trim() ? { description: description.trim() } : {}) };
    create.mutate(
      { path: API.subscriptions, body },
      {
        onSuccess: () => {
          setUrl('');
          setEventTypes([]);
          setDescription('');
        },
      },
    );
  };

  return (
    <>
      <h3>Subscribe an endpoint</h3>
      {create.data ? (
        <>
          <Notice kind="success">
            The endpoint <code>{create.data.url}</code> is subscribed. <Link to={PAGES.subscription(create.data.subscriptionId)}>Open the subscription</Link>.
          </Notice>
          <SecretOnce owner={`the subscription to ${create.data.url}`} secret={create.data.secret} onDone={create.reset} />
        </>
      ) : null}
      <ErrorNotice error={create.error} refusedTitle="The endpoint was not subscribed." />
      <form onSubmit={submit}>
        <div className="field">
          <label htmlFor="subscription-url">Endpoint URL</label>
          <input
            id="subscription-url"
            type="text"
            inputMode="url"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            required
            maxLength={2000}
            autoComplete="off"
            spellCheck={false}
            aria-describedby="subscription-url-hint"
          />
          <p className="hint" id="subscription-url-hint">
            An https address, e.g. https://ehr.example.org/hooks/care (plain http only to the networks the service allows).
          </p>
        </div>
        <SiteField value={siteId} onChange={setSiteId} />
        <EventTypeChoices selected={eventTypes} onChange={setEventTypes} />
        <div className="field">
          <label htmlFor="subscription-description">Description (optional)</label>
          <textarea id="subscription-description" value={description} onChange={(e) => setDescription(e.target.value)} maxLength={500} aria-describedby="subscription-description-hint" />
          <p className="hint" id="subscription-description-hint">
            What this endpoint is, e.g. "EHR of site A". Up to 500 characters.
          </p>
        </div>
        <button type="submit" disabled={create.isPending}>
          {create.isPending ? 'Subscribing…' : 'Subscribe endpoint'}
        </button>
      </form>
    </>
  );
};
