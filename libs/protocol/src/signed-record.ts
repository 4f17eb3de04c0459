import type { SignatureManifestation } from './event';

/*
 * Part 11 §11.70 linking, read back: the record a signature was given to, rebuilt from the stored events,
 * so that anyone can hash it (SHA-256 of its RFC 8785 JSON, `signedRecordHash` in libs/crypto) and compare
 * it with the manifestation's `recordHash`.
 */

/** A stored event as the event store or the API returns it. */
export type StoredCourseEvent = { type: string; streamVersion: number; data: Record<string, unknown>; metadata: { commandId?: string } };

/** One signature and the record it signed: several events when one signed step recorded several (a checklist). */
export type SignedRecord = {
  streamVersions: number[];
  manifestation: SignatureManifestation;
  record: Record<string, unknown>;
  /**
   * The other way to read a one-criterion event signed before `signedFields` existed: as a checklist of
   * one (`RecordEligibilityCriteria`), which the event alone cannot tell from `RecordEligibilityCriterion`.
   */
  alternative?: Record<string, unknown>;
};

/** The fields of one criterion in `RecordEligibilityCriteria`'s `criteria`, as its events store them. */
const CRITERION_FIELDS = ['criterionId', 'outcome', 'evidence'];

const manifestationOf = (event: StoredCourseEvent): SignatureManifestation | undefined => event.data['signature'] as SignatureManifestation | undefined;

/** A checklist's record fields as they were hashed before `signedFields`: `criteria` and the step's own fields. */
const checklistFieldsOf = (first: Record<string, unknown>): string[] => ['criteria', ...Object.keys(first).filter((f) => f !== 'signature' && !CRITERION_FIELDS.includes(f))];

const pick = (data: Record<string, unknown>, fields: string[]): Record<string, unknown> =>
  Object.fromEntries(fields.filter((f) => data[f] !== undefined).map((f) => [f, data[f]]));

/** The record of one signed step from its events (in stream order); `signedFields` names its fields, else it is all but the signature. */
const recordOf = (events: StoredCourseEvent[], manifestation: SignatureManifestation): Record<string, unknown> => {
  const first = events[0]!.data;
  const checklist = events[0]!.type === 'EligibilityCriterionRecorded' && (manifestation.signedFields?.includes('criteria') ?? events.length > 1);
  if (!checklist) return pick(first, manifestation.signedFields ?? Object.keys(first).filter((f) => f !== 'signature'));
  // One signed step, one event per criterion: the step's `criteria` in the events' order, its other fields from any event.
  const shared = manifestation.signedFields ?? checklistFieldsOf(first);
  return Object.fromEntries(
    shared.map((f) => [f, f === 'criteria' ? events.map((e) => pick(e.data, CRITERION_FIELDS)) : first[f]]).filter(([, v]) => v !== undefined),
  );
};

/**
 * Every signature of a course with the record it signed. Events of one command (same `metadata.commandId`)
 * that carry the same manifestation are one signed step. Events signed before the API named the fields
 * (no `signedFields`) are rebuilt from all their data but the signature, which is what was hashed then for
 * steps whose event stores exactly what was sent.
 */
export const signedRecords = (events: StoredCourseEvent[]): SignedRecord[] => {
  const steps: { events: StoredCourseEvent[]; manifestation: SignatureManifestation }[] = [];
  for (const event of events) {
    const manifestation = manifestationOf(event);
    if (!manifestation) continue;
    const last = steps[steps.length - 1];
    const lastEvent = last?.events[last.events.length - 1];
    const sameStep =
      last !== undefined &&
      event.metadata.commandId !== undefined &&
      lastEvent!.metadata.commandId === event.metadata.commandId &&
      lastEvent!.streamVersion === event.streamVersion - 1 &&
      JSON.stringify(last.manifestation) === JSON.stringify(manifestation);
    if (sameStep) last.events.push(event);
    else steps.push({ events: [event], manifestation });
  }
  return steps.map((s) => {
    const ambiguous = s.events.length === 1 && s.events[0]!.type === 'EligibilityCriterionRecorded' && s.manifestation.signedFields === undefined;
    return {
      streamVersions: s.events.map((e) => e.streamVersion),
      manifestation: s.manifestation,
      record: recordOf(s.events, s.manifestation),
      ...(ambiguous ? { alternative: recordOf(s.events, { ...s.manifestation, signedFields: checklistFieldsOf(s.events[0]!.data) }) } : {}),
    };
  });
};
