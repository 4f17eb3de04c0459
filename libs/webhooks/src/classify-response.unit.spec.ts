import { classifyDeliveryResponse } from './classify-response';

describe('classifyDeliveryResponse', () => {
  it.each([200, 201, 202, 204, 299])('%i is delivered', (status) => {
    expect(classifyDeliveryResponse({ status })).toEqual({ outcome: 'delivered' });
  });

  it('410 is gone: disable the subscription, no retry', () => {
    expect(classifyDeliveryResponse({ status: 410 })).toEqual({ outcome: 'gone' });
  });

  it.each([429, 502, 503, 504])('%i is a throttled retry', (status) => {
    expect(classifyDeliveryResponse({ status })).toEqual({ outcome: 'retry', throttled: true });
  });

  it.each([300, 301, 302, 303, 307, 308])('redirect %i is a failure to retry (never followed)', (status) => {
    expect(classifyDeliveryResponse({ status })).toEqual({ outcome: 'retry' });
  });

  it.each([100, 400, 401, 403, 404, 405, 408, 409, 413, 422, 451, 500, 501, 505, 599])('%i is a plain retry', (status) => {
    expect(classifyDeliveryResponse({ status })).toEqual({ outcome: 'retry' });
  });

  it('timeouts and network errors are retried', () => {
    expect(classifyDeliveryResponse({ error: { kind: 'timeout' } })).toEqual({ outcome: 'retry' });
    expect(classifyDeliveryResponse({ error: { kind: 'network' } })).toEqual({ outcome: 'retry' });
    expect(classifyDeliveryResponse({})).toEqual({ outcome: 'retry' });
  });

  it('an SSRF block is retried but flagged; an unusable URL is refused for good', () => {
    expect(classifyDeliveryResponse({ error: { kind: 'blocked' } })).toEqual({ outcome: 'retry', blocked: true });
    expect(classifyDeliveryResponse({ error: { kind: 'invalid_url' } })).toEqual({ outcome: 'refused' });
  });
});
