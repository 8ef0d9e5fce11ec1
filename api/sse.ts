import type { Request, Response } from 'express';
import type { LiveEvent } from '../lib/schemas/events';
import { HttpError } from './errors';

const KEEP_ALIVE_MS = 15_000;
/** How soon to ask again after an empty page: quick while output flows, slower when it does not. */
const POLL_MIN_MS = 100;
const POLL_MAX_MS = 1_000;

/** `Last-Event-ID` (or `?lastEventId=`, for clients that cannot set headers): the last event the client has. */
export function lastEventId(req: Request): number {
  const raw = req.get('last-event-id') ?? (typeof req.query.lastEventId === 'string' ? req.query.lastEventId : '0');
  if (!/^\d{1,15}$/.test(raw)) {
    const field = req.get('last-event-id') !== undefined ? 'header.Last-Event-ID' : 'query.lastEventId';
    throw HttpError.invalid(field, 'must be a non-negative integer event id');
  }
  return Number(raw);
}

/**
 * Serves a live event log as Server-Sent Events: pages after the client's last id until the
 * `end` event, polling while the log is quiet, until the client goes away.
 */
export async function streamEvents(
  req: Request,
  res: Response,
  pages: (after: number) => Promise<LiveEvent[]>,
): Promise<void> {
  let after = lastEventId(req);
  let closed = false;
  req.on('close', () => (closed = true));
  // The first page before the headers: a step that will never exist, or Temporal being down, is
  // still an HTTP error (404, 503) rather than a stream that ends at once.
  let first: LiveEvent[] | null = await pages(after);
  res.status(200).set({
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    // Reverse proxies must pass events through as they come.
    'X-Accel-Buffering': 'no',
  });
  res.flushHeaders();
  res.write('retry: 1000\n\n');

  let wait = POLL_MIN_MS;
  let lastWrite = Date.now();
  while (!closed) {
    let page: LiveEvent[];
    try {
      page = first ?? (await pages(after));
      first = null;
    } catch {
      // Headers are gone, so no error body: the client reconnects from its last id.
      res.end(': unavailable, reconnect\n\n');
      return;
    }
    for (const event of page) {
      res.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`);
      after = event.id;
      if (event.type === 'end') {
        res.end();
        return;
      }
    }
    if (page.length > 0) {
      wait = POLL_MIN_MS;
      lastWrite = Date.now();
      continue;
    }
    if (Date.now() - lastWrite >= KEEP_ALIVE_MS) {
      res.write(': keep-alive\n\n');
      lastWrite = Date.now();
    }
    await new Promise((resolve) => setTimeout(resolve, wait));
    wait = Math.min(POLL_MAX_MS, Math.round(wait * 1.25));
  }
  res.end();
}
