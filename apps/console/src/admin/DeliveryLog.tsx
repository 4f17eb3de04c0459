import { keepPreviousData } from '@tanstack/react-query';
import { useState } from 'react';
import { query } from '../api/http';
import { useApiGet } from '../api/queries';
import { ErrorNotice, Loading } from '../ui/feedback';
import { DeliveryTable } from './DeliveryTable';
import { API } from './paths';
import type { DeliveryPage } from './types';

const PAGE_SIZE = 25;

/**
 * A subscription's deliveries, newest first, a page at a time. The API pages with a cursor (`before`,
 * a global position), so "Newer" walks back through the cursors already seen.
 */
export const DeliveryLog = ({ subscriptionId, subscriptionDisabled }: { subscriptionId: string; subscriptionDisabled: boolean }) => {
  const [cursors, setCursors] = useState<string[]>([]);
  const before = cursors[cursors.length - 1];
  const page = useApiGet<DeliveryPage>(`${API.deliveries(subscriptionId)}${query({ limit: PAGE_SIZE, before })}`, { placeholderData: keepPreviousData });
  const pageNumber = cursors.length + 1;

  return (
    <section aria-labelledby="delivery-log-heading">
      <h2 id="delivery-log-heading">Delivery log</h2>
      {page.isPending ? <Loading what="the deliveries" /> : null}
      <ErrorNotice error={page.error} title="The deliveries could not be loaded." />
      {page.data && page.data.deliveries.length === 0 ? <p>{cursors.length ? 'No older deliveries.' : 'Nothing has been sent to this endpoint yet.'}</p> : null}
      {page.data && page.data.deliveries.length > 0 ? (
        <DeliveryTable deliveries={page.data.deliveries} caption={`Page ${pageNumber}, newest first, ${PAGE_SIZE} a page.`} subscriptionDisabled={subscriptionDisabled} />
      ) : null}
      <nav aria-label="Delivery log pages" className="actions">
        <button type="button" className="secondary" disabled={cursors.length === 0} onClick={() => setCursors([])}>
          Newest
        </button>
        <button type="button" className="secondary" disabled={cursors.length === 0} onClick={() => setCursors((c) => c.slice(0, -1))}>
          Newer
        </button>
        <button
          type="button"
          className="secondary"
          disabled={!page.data?.nextBefore || page.isPlaceholderData}
          onClick={() => {
            const next = page.data?.nextBefore;
            if (next) setCursors((c) => [...c, next]);
          }}
        >
          Older
        </button>
        <button type="button" className="secondary" disabled={page.isFetching} onClick={() => void page.refetch()}>
          {page.isFetching ? 'Refreshing…' : 'Refresh'}
        </button>
      </nav>
    </section>
  );
};
