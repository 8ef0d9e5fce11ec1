import { CancelledFailure, Context } from '@temporalio/activity';

const HEARTBEAT_INTERVAL_MS = 1000;

/**
 * Heartbeats while `fn` runs, so the server notices a dead host and can deliver cancellation.
 * `fn` receives the activity's abort signal.
 */
export async function withHeartbeat<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ctx = Context.current();
  ctx.heartbeat();
  const timer = setInterval(() => ctx.heartbeat(), HEARTBEAT_INTERVAL_MS);
  try {
    const result = await fn(ctx.cancellationSignal);
    // A process killed because the activity was cancelled must not look like a normal result.
    if (ctx.cancellationSignal.aborted) await ctx.cancelled;
    return result;
  } finally {
    clearInterval(timer);
  }
}

/**
 * The server gave up on this attempt (heartbeat timeout under load, or its task never reached this
 * host) rather than anyone cancelling it: a retry may come and use what it started.
 */
export function abandonedByServer(signal: AbortSignal): boolean {
  const reason: unknown = signal.reason;
  return signal.aborted && reason instanceof CancelledFailure && ['NOT_FOUND', 'TIMED_OUT'].includes(reason.message);
}
