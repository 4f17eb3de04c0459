import type { CourseCommand } from './command';
import { decide } from './decide';
import { evolve } from './evolve';
import type { CourseState } from './state';
import { at, cmd, consent, given, MDMA, rejectionOf, start } from './testing/course.fixtures';

const HASH = 'a'.repeat(64);
const signedAssessment = (): CourseCommand =>
  cmd(
    'RecordAssessment',
    { instrument: 'CAPS-5', timepoint: 'baseline', values: { total: 40, ptsdDiagnosis: true, raterRef: 'IR-7' }, signature: { meaning: 'authorship', recordHash: HASH } },
    'therapist',
    at(0, '09:00'),
  );
const correction = (eventVersion: number, signature?: { meaning: string; recordHash?: string }): CourseCommand =>
  cmd('CorrectEvent', { eventVersion, reason: 'Transcription error', values: { total: 41 }, ...(signature ? { signature } : {}) }, 'therapist', at(1));

const acceptedEvents = (state: CourseState, command: CourseCommand) => {
  const decision = decide(command, state);
  if (!decision.ok) throw new Error(decision.rejection.code);
  return decision.events;
};

describe('e-signature manifestation', () => {
  it('stores signer, printed name, UTC time, meaning and the record hash, and keeps it in state', () => {
    const state = given(start(MDMA), consent());
    const [event] = acceptedEvents(state, signedAssessment());
    expect(event!.data).toMatchObject({
      signature: { signerId: 'u-therapist', printedName: 'Test therapist', signedAt: at(0, '09:00'), meaning: 'authorship', recordHash: HASH },
    });
    const next = evolve(state, event!);
    expect(next.signatures[String(next.version)]).toMatchObject({ meaning: 'authorship', recordHash: HASH });
  });

  it("keeps the API's names of the record's fields, and refuses names that are not field names or come without the hash", () => {
    const state = given(start(MDMA), consent());
    const withFields = (signature: Record<string, unknown>) => {
      const command = signedAssessment();
      (command.data as { signature: unknown }).signature = { meaning: 'authorship', ...signature };
      return command;
    };
    const fields = ['instrument', 'performedAt', 'timepoint', 'values'];
    const [event] = acceptedEvents(state, withFields({ recordHash: HASH, signedFields: fields }));
    expect((event!.data as { signature: unknown }).signature).toMatchObject({ recordHash: HASH, signedFields: fields });
    for (const bad of [{ signedFields: fields }, { recordHash: HASH, signedFields: ['values', 'values'] }, { recordHash: HASH, signedFields: ['a.b'] }, { recordHash: HASH, signedFields: 'values' }]) {
      expect(rejectionOf(decide(withFields(bad), state))).toBe('SIGNATURE_REQUIRED');
    }
  });

  it('refuses a record hash that is not a SHA-256 hex digest', () => {
    const state = given(start(MDMA), consent());
    const bad = signedAssessment();
    (bad.data as { signature: { recordHash: string } }).signature.recordHash = 'not-a-hash';
    expect(rejectionOf(decide(bad, state))).toBe('SIGNATURE_REQUIRED');
  });
});

describe('correcting a signed record', () => {
  const state = given(start(MDMA), consent(), signedAssessment());
  const signedVersion = state.version;

  it('needs a signature and voids the earlier one', () => {
    expect(rejectionOf(decide(correction(signedVersion), state))).toBe('SIGNATURE_REQUIRED');
    const [event] = acceptedEvents(state, correction(signedVersion, { meaning: 'authorship', recordHash: HASH }));
    expect(event!.data).toMatchObject({ voidedSignature: { signerId: 'u-therapist', meaning: 'authorship' }, signature: { meaning: 'authorship' } });
    const next = evolve(state, event!);
    expect(next.signatures[String(signedVersion)]).toBeUndefined();
    expect(next.signatures[String(next.version)]).toMatchObject({ meaning: 'authorship' });
  });
});
