import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { LiveEvent } from '../../lib/schemas/events';
import { AirlockAbortError, AirlockConnectionError, AirlockError, isRetryable } from './errors';
import { sleep, throwIfAborted, type HttpClient, type OpenStream } from './http';

export type { LiveEvent, LiveEventType } from '../../lib/schemas/events';

export interface EventsOptions {
  /** Ends the iteration (it throws `AirlockAbortError`) and closes the connection. */
  signal?: AbortSignal;
  /** Resume after this event: only later events are yielded. */
  lastEventId?: number;
}

const EVENT_TYPES: ReadonlySet<string> = new Set(['stage', 'stdout', 'stderr', 'end']);

/**
 * Streams one execution's or step's live events over Server-Sent Events. A dropped connection is
 * reopened with `Last-Event-ID`, after a backoff, so the events arrive in order and none twice; the
 * iteration stops after `end`. It gives up after `maxRetries` reconnects in a row that bring nothing.
 */
export async function* liveEvents(
  http: HttpClient,
  path: string,
  options: EventsOptions = {},
): AsyncGenerator<LiveEvent, void, undefined> {
  const { signal } = options;
  let lastId = options.lastEventId;
  /** Consecutive connections that yielded nothing; reset by any new event. */
  let failures = 0;
  let serverRetryMs: number | undefined;

  for (;;) {
    throwIfAborted(signal);
    let stream: OpenStream | undefined;
    let lastError: unknown;
    try {
      stream = await http.openStream(path, lastId === undefined ? {} : { 'last-event-id': String(lastId) }, signal);
    } catch (err) {
      // 4xx (not found, unauthorized) will not get better by reconnecting; only transient failures are retried.
      if (!isRetryable(err)) throw err;
      lastError = err;
    }

    if (stream) {
      const queue: Parsed[] = [];
      const parser = createParser({
        onEvent: (message) => {
          const parsed = parse(message);
          if (parsed) queue.push(parsed);
        },
        onRetry: (ms) => (serverRetryMs = ms),
      });
      const body = stream.response.body;
      const reader = body?.getReader();
      const decoder = new TextDecoder();
      try {
        while (reader) {
          const { done, value } = await reader.read();
          if (done) break;
          parser.feed(decoder.decode(value, { stream: true }));
          for (let next = queue.shift(); next; next = queue.shift()) {
            // The server never repeats an event after Last-Event-ID, but a proxy replay must not reach the caller.
            if (lastId !== undefined && next.id <= lastId) continue;
            lastId = next.id;
            failures = 0;
            if (!next.event) continue;
            yield next.event;
            if (next.event.type === 'end') return;
          }
        }
        lastError = new AirlockConnectionError(`the event stream of ${path} ended before its end event`);
      } catch (err) {
        if (signal?.aborted) throw new AirlockAbortError(signal.reason);
        if (err instanceof AirlockError && !(err instanceof AirlockConnectionError)) throw err;
        lastError = new AirlockConnectionError(`the event stream of ${path} broke off`, err);
      } finally {
        // Runs too when the caller stops iterating early (break, return): the connection must not linger.
        stream.close();
        reader?.cancel().catch(() => undefined);
      }
    }

    failures++;
    if (failures > http.config.maxRetries) throw lastError;
    const retryAfter = (lastError as { retryAfterMs?: number }).retryAfterMs ?? serverRetryMs;
    await sleep(http.backoffMs(failures - 1, retryAfter), signal);
  }
}

interface Parsed {
  id: number;
  /** Null for an event of a type this SDK does not know, or with malformed data: skipped, but its id counts. */
  event: LiveEvent | null;
}

/** Events without a numeric id cannot be resumed from, so they are dropped. */
function parse(message: EventSourceMessage): Parsed | null {
  const id = Number(message.id);
  if (message.id === undefined || message.id === '' || !Number.isSafeInteger(id)) return null;
  const type = message.event ?? 'message';
  let data: unknown;
  try {
    data = JSON.parse(message.data);
  } catch {
    return { id, event: null };
  }
  if (!EVENT_TYPES.has(type) || typeof data !== 'object' || data === null) return { id, event: null };
  // Typed, not stripped: fields the server adds later reach the caller untouched.
  return { id, event: { id, type, data } as LiveEvent };
}
