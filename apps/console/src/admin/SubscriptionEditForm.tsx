import { useState, type FormEvent } from 'react';
import { ErrorNotice, Notice } from '../ui/feedback';
import { EventTypeChoices } from './fields';
import { API } from './paths';
import type { Subscription, UpdateSubscriptionBody } from './types';
import { useApiCommand } from './useApiCommand';

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));

/** The fields that differ from the subscription as loaded: PATCH sends only those. */
const changesOf = (s: Subscription, form: { url: string; description: string; eventTypes: string[] }): UpdateSubscriptionBody => ({
  ...(form.url.trim() !== s.url ? { url: form.url.trim() } : {}),
  ...(form.description.trim() !== (s.description ?? '') ? { description: form.description.trim() } : {}),
  ...(!sameSet(form.eventTypes, s.eventTypes) ? { eventTypes: form.eventTypes } : {}),
});

export const SubscriptionEditForm = ({ subscription }: { subscription: Subscription }) => {
  const [url, setUrl] = useState(subscription.url);
  const [description, setDescription] = useState(subscription.description ?? '');
  const [eventTypes, setEventTypes] = useState(subscription.eventTypes);
  const [nothingChanged, setNothingChanged] = useState(false);
  const update = useApiCommand<Subscription, UpdateSubscriptionBody>('PATCH', [API.subscriptions]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const changes = changesOf(subscription, { url, description, eventTypes });
    setNothingChanged(Object.keys(changes).length === 0);
    if (Object.keys(changes).length === 0) return update.reset();
    update.mutate({ path: API.subscription(subscription.subscriptionId), body: changes });
  };

  return (
    <section aria-labelledby="edit-heading">
      <h2 id="edit-heading">Change the subscription</h2>
      <p>A new URL applies from the next attempt on, retries already scheduled included. New event types apply to events from now on; deliveries already queued are still sent.</p>
      {update.isSuccess ? <Notice kind="success">Saved.</Notice> : null}
      {nothingChanged ? <Notice>Nothing to save: no field was changed.</Notice> : null}
      <ErrorNotice error={update.error} refusedTitle="Not saved." />
      <form onSubmit={submit}>
        <div className="field">
          <label htmlFor="edit-url">Endpoint URL</label>
          <input id="edit-url" type="text" inputMode="url" value={url} onChange={(e) => setUrl(e.target.value)} required maxLength={2000} autoComplete="off" spellCheck={false} />
        </div>
        <div className="field">
          <label htmlFor="edit-description">Description</label>
          <textarea id="edit-description" value={description} onChange={(e) => setDescription(e.target.value)} maxLength={500} />
        </div>
        <EventTypeChoices selected={eventTypes} onChange={setEventTypes} />
        <button type="submit" disabled={update.isPending}>
          {update.isPending ? 'Saving…' : 'Save changes'}
        </button>
      </form>
    </section>
  );
};
