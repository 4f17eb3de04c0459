import type { DataConverter, PayloadCodec } from '@temporalio/common';
import { AesGcmPayloadCodec } from './aes-gcm-payload-codec';
import { loadPayloadKeyring } from './payload-keyring';

/** Module exporting `failureConverter` (encodeCommonAttributes), safe to load in the workflow sandbox. */
export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

/** Builds the payload codec from the configured key file (generated only at the embedded default's path). */
export const createPayloadCodec = (options: { keysFile: string; generateKeys: boolean }): PayloadCodec =>
  new AesGcmPayloadCodec(loadPayloadKeyring(options.keysFile, options.generateKeys));

/**
 * The data converter for every Temporal client and worker of the service (API, worker, test stacks):
 * payloads through the codec, and failure messages and stack traces moved into an encoded attribute
 * so the codec encrypts them too. Workflows convert failures inside the sandbox, so the failure
 * converter is named by path; give the same path to the workflow bundler (`failureConverterPath`).
 */
export const temporalDataConverter = (codec: PayloadCodec): DataConverter => ({
  payloadCodecs: [codec],
  failureConverterPath: FAILURE_CONVERTER_PATH,
});
