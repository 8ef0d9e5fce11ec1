import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory } from '@temporalio/worker';
import { engineUnavailable } from '../activities/containers/docker-errors';

/** Host activities fail with a typed EngineUnavailable when the engine's socket does not answer. */
export const engineErrorsInterceptor: ActivityInterceptorsFactory = () => {
  const inbound: ActivityInboundCallsInterceptor = {
    async execute(input, next) {
      try {
        return await next(input);
      } catch (err) {
        throw engineUnavailable(err) ?? err;
      }
    },
  };
  return { inbound };
};
