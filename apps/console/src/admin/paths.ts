/** The API paths of integrations (ids are encoded: they come from the address bar). */
const id = encodeURIComponent;

export const API = {
  eventTypes: '/integrations/event-types',
  sources: '/integrations/sources',
  rotateSource: (sourceId: string) => `/integrations/sources/${id(sourceId)}/rotate-secret`,
  subscriptions: '/integrations/subscriptions',
  subscription: (subscriptionId: string) => `/integrations/subscriptions/${id(subscriptionId)}`,
  rotateSubscription: (subscriptionId: string) => `/integrations/subscriptions/${id(subscriptionId)}/rotate-secret`,
  recover: (subscriptionId: string) => `/integrations/subscriptions/${id(subscriptionId)}/recover`,
  deliveries: (subscriptionId: string) => `/integrations/subscriptions/${id(subscriptionId)}/deliveries`,
  delivery: (deliveryId: string) => `/integrations/deliveries/${id(deliveryId)}`,
  redeliver: (deliveryId: string) => `/integrations/deliveries/${id(deliveryId)}/redeliver`,
  eventDeliveries: (eventId: string) => `/integrations/events/${id(eventId)}/deliveries`,
};

/** The console's own pages (the router's basename adds /console). */
export const PAGES = {
  integrations: '/admin/integrations',
  subscription: (subscriptionId: string) => `/admin/integrations/subscriptions/${id(subscriptionId)}`,
  delivery: (deliveryId: string) => `/admin/integrations/deliveries/${id(deliveryId)}`,
  eventDeliveries: (eventId: string) => `/admin/integrations/events/${id(eventId)}`,
};
