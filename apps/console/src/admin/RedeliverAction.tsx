import { ErrorNotice, Notice } from '../ui/feedback';
import { ConfirmAction } from './ConfirmAction';
import { API } from './paths';
import type { Delivery, RedeliverAnswer } from './types';
import { useApiCommand } from './useApiCommand';

/** Reads that show a delivery's state: refreshed after a redelivery. */
const DELIVERY_READS = ['/integrations/subscriptions/', '/integrations/deliveries/', '/integrations/events/'];

type Props = { delivery: Pick<Delivery, 'deliveryId' | 'eventType'>; subscriptionDisabled?: boolean };

/** "Redeliver" with an inline confirmation, then the API's answer in place. */
export const RedeliverAction = ({ delivery, subscriptionDisabled = false }: Props) => {
  const redeliver = useApiCommand<RedeliverAnswer>('POST', DELIVERY_READS);
  return (
    <>
      <ConfirmAction
        label={redeliver.isPending ? 'Sending…' : 'Redeliver'}
        question={
          <>
            Send this <code>{delivery.eventType}</code> webhook again? It starts a new run of its retry schedule (up to 10 attempts over about 3 days). It carries the same
            webhook-id, so a receiver that already has it can recognise the copy.
            {subscriptionDisabled ? <strong> The subscription is disabled: the delivery will be skipped until you enable it.</strong> : null}
          </>
        }
        confirmLabel="Yes, send it again"
        disabled={redeliver.isPending}
        onConfirm={() => redeliver.mutate({ path: API.redeliver(delivery.deliveryId) })}
      />
      {redeliver.data ? <Notice kind="success">Queued again: the delivery is {redeliver.data.status}.</Notice> : null}
      <ErrorNotice error={redeliver.error} refusedTitle="Not sent again." />
    </>
  );
};
