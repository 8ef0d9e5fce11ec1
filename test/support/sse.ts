import { createParser } from 'eventsource-parser';
import type { LiveEvent } from '../../lib/schemas/events';

export interface ReceivedEvent {
  event: LiveEvent;
  /** ms since the stream was opened */
  at: number;
}

/**
 * Reads a Server-Sent Events stream until `end` (or `stopWhen`), recording when each event came.
 * A real HTTP client on a real socket: the point is to see events before the work finishes.
 */
export async function readEvents(
  url: string,
  headers: Record<string, string>,
  opts: { stopWhen?: (e: LiveEvent) => boolean; timeoutMs?: number } = {},
): Promise<{ status: number; events: ReceivedEvent[] }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), opts.timeoutMs ?? 60_000);
  const started = Date.now();
  const events: ReceivedEvent[] = [];
  let stop = false;
  const parser = createParser({
    onEvent: ({ id, event, data }) => {
      const parsed = { id: Number(id), type: event, data: JSON.parse(data) } as LiveEvent;
      events.push({ event: parsed, at: Date.now() - started });
      if (parsed.type === 'end' || opts.stopWhen?.(parsed)) stop = true;
    },
  });
  try {
    const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
    if (!res.ok || !res.body) return { status: res.status, events };
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      parser.feed(decoder.decode(chunk, { stream: true }));
      if (stop) break;
    }
    return { status: res.status, events };
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

/** The stdout of one stage, as the stream delivered it. */
export function streamedText(events: ReceivedEvent[], stream: 'stdout' | 'stderr', stage: string): string {
  return events
    .map((r) => r.event)
    .filter((e) => e.type === stream && e.data.stage === stage)
    .map((e) => (e.type === stream ? e.data.text : ''))
    .join('');
}
