import type { LiveEvent } from '../lib/schemas/events';
import type { LoggedEvent } from '../lib/sandbox-input';
import type { OutputChunk, OutputStream } from '../lib/output-chunks';

/** Events one query answers at most; the API asks again for the rest. */
const PAGE_EVENTS = 500;
const PAGE_CHARS = 512 * 1024;

type Body = LiveEvent extends infer E ? (E extends LiveEvent ? Omit<E, 'id'> : never) : never;
export type { LoggedEvent };

/**
 * The live event log of one workflow: stage changes and output chunks, numbered in the order the
 * workflow saw them. It lives in workflow state, so replay rebuilds it with the same ids, and a
 * client resuming from any id misses nothing.
 */
export class LiveLog {
  private readonly events: LoggedEvent[] = [];
  private readonly received = new Map<string, number>();
  private lastId: number;

  constructor(firstId = 1, carried: LoggedEvent[] = []) {
    this.lastId = firstId - 1;
    this.events.push(...carried);
  }

  get nextId(): number {
    return this.lastId + 1;
  }

  stage(scope: string, stage: string, status: string, detail: string | null = null): void {
    this.append(scope, { type: 'stage', data: { stage, status, detail } });
  }

  /** The last event of a scope (a sandbox step): its data is filled in when a client reads it. */
  end(scope: string, status: string): void {
    this.append(scope, { type: 'end', data: { status, result: null } });
  }

  /** A chunk from the host: kept only if it continues exactly where the last one ended. */
  chunk(chunk: OutputChunk): void {
    const key = streamKey(chunk.scope, chunk.stage, chunk.stream);
    const seen = this.received.get(key) ?? 0;
    if (chunk.offset !== seen || chunk.text.length === 0) return;
    this.received.set(key, seen + chunk.text.length);
    this.append(chunk.scope, { type: chunk.stream, data: { stage: chunk.stage, text: chunk.text } });
  }

  /** A process has ended: whatever of its output the host did not send while it ran. */
  complete(scope: string, stage: string, output: Record<OutputStream, string>): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      const key = streamKey(scope, stage, stream);
      const seen = this.received.get(key) ?? 0;
      const rest = output[stream].slice(seen);
      this.received.set(key, Math.max(seen, output[stream].length));
      if (rest.length > 0) this.append(scope, { type: stream, data: { stage, text: rest } });
    }
  }

  /** Events after `after`, of one scope or all, a page at a time. */
  after(after: number, scope?: string): LiveEvent[] {
    const page: LiveEvent[] = [];
    let chars = 0;
    for (const { scope: s, event } of this.events) {
      if (event.id <= after || (scope !== undefined && s !== scope)) continue;
      chars += event.type === 'stdout' || event.type === 'stderr' ? event.data.text.length : 64;
      if (page.length > 0 && (page.length >= PAGE_EVENTS || chars > PAGE_CHARS)) break;
      page.push(event);
    }
    return page;
  }

  /**
   * What a continued run takes over: every stage and end event of the kept scopes, and their
   * output, newest first, up to `maxChars` (older output is in the step results).
   */
  carry(keep: (scope: string) => boolean, maxChars: number): LoggedEvent[] {
    let chars = 0;
    const kept = [...this.events].reverse().filter(({ scope, event }) => {
      if (!keep(scope)) return false;
      if (event.type !== 'stdout' && event.type !== 'stderr') return true;
      chars += event.data.text.length;
      return chars <= maxChars;
    });
    return kept.reverse();
  }

  /** Drops the events of scopes no client will ask for again (old sandbox steps). */
  forget(keep: (scope: string) => boolean): void {
    const kept = this.events.filter((e) => keep(e.scope));
    this.events.splice(0, this.events.length, ...kept);
  }

  private append(scope: string, body: Body): void {
    this.lastId += 1;
    this.events.push({ scope, event: { ...body, id: this.lastId } as LiveEvent });
  }
}

function streamKey(scope: string, stage: string, stream: OutputStream): string {
  return `${scope}\u0000${stage}\u0000${stream}`;
}
