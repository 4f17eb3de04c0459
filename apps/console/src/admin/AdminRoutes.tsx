import { Navigate, Route, Routes } from 'react-router-dom';
import { useSession } from '../auth/session';
import { Notice, PageTitle } from '../ui/feedback';
import { DeliveryPage } from './DeliveryPage';
import { EventDeliveriesPage } from './EventDeliveriesPage';
import { IntegrationsPage } from './IntegrationsPage';
import { SubscriptionPage } from './SubscriptionPage';

/**
 * Administrator pages: integrations (webhooks). Only admins manage them (integrations:manage), so
 * other roles get a plain sentence rather than a page of refusals; the API decides either way.
 */
export const AdminRoutes = () => {
  const { identity } = useSession();
  if (identity?.role !== 'admin') {
    return (
      <>
        <PageTitle title="Administration">Administration</PageTitle>
        <Notice>These pages are for administrators. Use the menu above.</Notice>
      </>
    );
  }
  return (
    <Routes>
      <Route index element={<Navigate to="integrations" replace />} />
      <Route path="integrations" element={<IntegrationsPage />} />
      <Route path="integrations/subscriptions/:subscriptionId" element={<SubscriptionPage />} />
      <Route path="integrations/deliveries/:deliveryId" element={<DeliveryPage />} />
      <Route path="integrations/events/:eventId" element={<EventDeliveriesPage />} />
      <Route path="*" element={<p>There is no administration page here. Use the menu above.</p>} />
    </Routes>
  );
};
