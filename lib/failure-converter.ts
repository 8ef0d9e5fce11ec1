/**
 * Failures as Airlock records them: their message and stack trace move into an encoded payload,
 * which the payload codec encrypts like any other (lib/node/payload-codec.ts), since a message may name
 * what a tenant sent (a file's path). Loaded by path, in the workflow bundle and in every client
 * and worker, so it must stay free of Node APIs.
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
