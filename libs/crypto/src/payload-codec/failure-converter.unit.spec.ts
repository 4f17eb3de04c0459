import { randomBytes } from 'node:crypto';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import { encodeFailure } from '@temporalio/common/lib/internal-non-workflow';
import { AesGcmPayloadCodec } from './aes-gcm-payload-codec';
import { failureConverter } from './failure-converter';

describe('failure converter', () => {
  it('moves the message into an encoded attribute that the codec encrypts', async () => {
    const codec = new AesGcmPayloadCodec({ current: 'k1', keys: new Map([['k1', randomBytes(32)]]) });
    const failure = failureConverter.errorToFailure(ApplicationFailure.nonRetryable('Blood pressure 182/121 is above the limit', 'COMMAND_REJECTED'), defaultPayloadConverter);
    expect(failure.message).not.toContain('182/121');
    const encoded = await encodeFailure([codec], failure);
    expect(JSON.stringify(encoded, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v))).not.toContain('182/121');
    const back = failureConverter.failureToError(
      { ...encoded, encodedAttributes: (await codec.decode([encoded.encodedAttributes!]))[0]! },
      defaultPayloadConverter,
    );
    expect(back.message).toBe('Blood pressure 182/121 is above the limit');
  });
});
