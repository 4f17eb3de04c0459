import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Moves failure messages and stack traces into an encoded attribute, so the payload codec encrypts
 * them (a rejection message may quote a clinical value). Loaded by path by the worker and the
 * workflow bundler; it must stay free of Node built-ins.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
