// Entry point of the workflow bundle: every workflow the worker runs is exported here.
export { courseOfCare } from './course-of-care/course-of-care.workflow';
export { dosingSession } from './dosing-session/dosing-session.workflow';
export { webhookDelivery } from './webhook-delivery/webhook-delivery.workflow';
