import { formatTime } from '../ui/time';
import type { DeliveryStatus, SecretInfo, Subscription } from './types';

const DELIVERY_STATUS: Record<DeliveryStatus, { text: string; className: string }> = {
  delivered: { text: 'Delivered', className: 'badge badge-ok' },
  pending: { text: 'Pending', className: 'badge' },
  failed: { text: 'Failed', className: 'badge badge-alert' },
  // Skipped: the subscription was disabled when the delivery was due (Recover sends it later).
  skipped: { text: 'Skipped', className: 'badge' },
};

export const DeliveryStatusBadge = ({ status }: { status: DeliveryStatus }) => {
  const shown = DELIVERY_STATUS[status] ?? { text: status, className: 'badge' };
  return <span className={shown.className}>{shown.text}</span>;
};

export const SubscriptionStatus = ({ subscription }: { subscription: Pick<Subscription, 'enabled' | 'disabledReason'> }) =>
  subscription.enabled ? (
    <span className="badge badge-ok">Enabled</span>
  ) : (
    <>
      <span className="badge badge-alert">Disabled</span>
      {subscription.disabledReason ? <span className="small"> ({subscription.disabledReason})</span> : null}
    </>
  );

/** When the endpoint's current run of failed attempts began (cleared by a success or by enabling). */
export const FailingSince = ({ since }: { since: string | null }) => (since ? <span className="badge badge-alert">{formatTime(since)}</span> : <span className="muted">Not failing</span>);

/** The current secret, and the replaced one while it still works (never their values). */
export const SecretsSummary = ({ secrets }: { secrets: SecretInfo[] }) => {
  const current = secrets.find((s) => s.expiresAt === null);
  const previous = secrets.filter((s) => s.expiresAt !== null && Date.parse(s.expiresAt) > Date.now());
  return (
    <>
      {current ? `Current since ${formatTime(current.createdAt)}` : 'No current secret'}
      {previous.map((s) => (
        <span key={s.createdAt} className="small">
          <br />
          Previous one works until {formatTime(s.expiresAt)}
        </span>
      ))}
    </>
  );
};
