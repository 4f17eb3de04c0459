import { upcastEvent } from './upcast';

const metadata = { actor: { id: 'u-1', name: 'Casey', role: 'coordinator' as const, siteId: 'site-a' }, occurredAt: '2026-01-05T09:00:00Z', correlationId: 'c' };

describe('upcastEvent', () => {
  it('brings a v1 InformedConsentRecorded (skeleton era) to v2 with consentsToRecording unknown', () => {
    const v1 = { type: 'InformedConsentRecorded', schemaVersion: 1, data: { consentFormVersion: 'v3', consentedAt: '2026-01-05T08:30:00Z' }, metadata };
    expect(upcastEvent(v1)).toEqual({ ...v1, schemaVersion: 2, data: { ...v1.data, consentsToRecording: null } });
  });

  it('passes current versions through unchanged', () => {
    const current = { type: 'EmergencyContactRecorded', schemaVersion: 1, data: { contactRef: 'EC-1' }, metadata };
    expect(upcastEvent(current)).toEqual(current);
  });

  it('refuses unknown types and versions from the future', () => {
    expect(() => upcastEvent({ type: 'Nope', schemaVersion: 1, data: {}, metadata })).toThrow('Unknown event type Nope');
    expect(() => upcastEvent({ type: 'CourseStarted', schemaVersion: 2, data: {}, metadata })).toThrow('schema version 2');
  });
});
