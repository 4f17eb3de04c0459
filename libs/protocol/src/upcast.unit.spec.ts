import { LATE_FLAGGED_EVENT_TYPES, TIMED_EVENT_TYPES } from './event';
import { upcastEvent } from './upcast';

const metadata = { actor: { id: 'u-1', name: 'Casey', role: 'coordinator' as const, siteId: 'site-a' }, occurredAt: '2026-01-05T09:00:00Z', correlationId: 'c' };

describe('upcastEvent', () => {
  it('brings a v1 InformedConsentRecorded (skeleton era) to v3: consentsToRecording unknown, not a late entry', () => {
    const v1 = { type: 'InformedConsentRecorded', schemaVersion: 1, data: { consentFormVersion: 'v3', consentedAt: '2026-01-05T08:30:00Z' }, metadata };
    expect(upcastEvent(v1)).toEqual({ ...v1, schemaVersion: 3, data: { ...v1.data, consentsToRecording: null } });
  });

  it('gives an event stored before clinical times its entry time as clinical time (and no late-entry reason)', () => {
    const v1 = { type: 'DoseAdministered', schemaVersion: 1, data: { sessionKey: 'dosing-1', drug: 'MDMA', amountMg: 80, lotNumber: null }, metadata };
    expect(upcastEvent(v1)).toEqual({ ...v1, schemaVersion: 2, data: { ...v1.data, performedAt: metadata.occurredAt } });
    const vitals = { type: 'VitalsRecorded', schemaVersion: 1, data: { measuredAt: '2026-01-05T08:40:00Z' }, metadata };
    expect(upcastEvent(vitals)).toMatchObject({ schemaVersion: 2, data: { measuredAt: '2026-01-05T08:40:00Z' } });
  });

  it('has an upcaster to clinical times for every timed and late-flagged type', () => {
    for (const type of TIMED_EVENT_TYPES) {
      expect(upcastEvent({ type, schemaVersion: 1, data: {}, metadata }).data).toEqual({ performedAt: metadata.occurredAt });
    }
    for (const type of LATE_FLAGGED_EVENT_TYPES) {
      expect(upcastEvent({ type, schemaVersion: type === 'InformedConsentRecorded' ? 2 : 1, data: {}, metadata }).data).not.toHaveProperty('lateEntryReason');
    }
  });

  it('passes current versions through unchanged', () => {
    const current = { type: 'EmergencyContactRecorded', schemaVersion: 1, data: { contactRef: 'EC-1' }, metadata };
    expect(upcastEvent(current)).toEqual(current);
  });

  it('refuses unknown types and versions from the future', () => {
    expect(() => upcastEvent({ type: 'Nope', schemaVersion: 1, data: {}, metadata })).toThrow('Unknown event type Nope');
    expect(() => upcastEvent({ type: 'CourseStarted', schemaVersion: 3, data: {}, metadata })).toThrow('schema version 3');
  });
});
