import { useId } from 'react';
import { useApiGet } from '../api/queries';
import { useSession } from '../auth/session';
import { ErrorNotice, Loading } from '../ui/feedback';
import { API } from './paths';
import type { EventTypeCatalogue } from './types';

/** The published event-type catalogue; it changes only with a release of the service. */
export const useEventTypes = () => useApiGet<EventTypeCatalogue>(API.eventTypes, { staleTime: Infinity });

/** A choice of the signed-in admin's sites (the API refuses any other). */
export const SiteField = ({ value, onChange }: { value: string; onChange: (site: string) => void }) => {
  const { identity } = useSession();
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>Site</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)} required>
        {(identity?.sites ?? []).map((site) => (
          <option key={site} value={site}>
            {site}
          </option>
        ))}
      </select>
    </div>
  );
};

/** The outbound event types as checkboxes. */
export const EventTypeChoices = ({ selected, onChange }: { selected: string[]; onChange: (types: string[]) => void }) => {
  const catalogue = useEventTypes();
  const hintId = useId();
  if (catalogue.isPending) return <Loading what="the event types" />;
  if (catalogue.isError) return <ErrorNotice error={catalogue.error} title="The event types could not be loaded." />;
  const toggle = (type: string, on: boolean) => onChange(on ? [...selected, type] : selected.filter((t) => t !== type));
  // Types the subscription has but the catalogue no longer lists stay visible, so they can be removed.
  const unknown = selected.filter((t) => !catalogue.data.outbound.some((o) => o.type === t));
  return (
    <fieldset className="field" aria-describedby={hintId}>
      <legend>Event types</legend>
      <p className="hint" id={hintId}>
        The endpoint receives a webhook for each of these events at the site. Choose at least one.
      </p>
      {[...catalogue.data.outbound.map((o) => ({ type: o.type, description: o.description })), ...unknown.map((type) => ({ type, description: 'No longer in the catalogue.' }))].map(
        ({ type, description }) => (
          <label key={type}>
            <input type="checkbox" name="eventTypes" value={type} checked={selected.includes(type)} onChange={(e) => toggle(type, e.target.checked)} /> <code>{type}</code>{' '}
            <span className="muted small">{description}</span>
          </label>
        ),
      )}
    </fieldset>
  );
};
