import { LIVE_FLUSH_INTERVAL_MS, type OutputChunk } from '../../lib/output-chunks';

/** The live scope of a template build's events. */
export const BUILD_SCOPE = 'build';
/** What the log keeps whole; past it only the tail is kept (a build that prints gigabytes is refused by time). */
const MAX_LOG_CHARS = 8 * 1024 * 1024;
/** What is sent live: the workflow keeps it in history, so it stays small; the stored log has the rest. */
const MAX_LIVE_CHARS = 256 * 1024;
const TAIL_CHARS = 4000;

export type BuildLogSink = (chunk: OutputChunk) => Promise<void>;

/**
 * One template build's log: every step's header and every command's output, kept for the log store,
 * and sent to the template's workflow as it comes, a chunk per step, so a client watches it over SSE.
 */
export class BuildLog {
  private text = '';
  private dropped = 0;
  private step = 'build';
  private pending = '';
  private readonly sent = new Map<string, number>();
  private liveChars = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly sink: BuildLogSink | undefined) {}

  /** A new step: what follows is its output. */
  begin(step: string): void {
    this.flush();
    this.step = step;
    this.write(`### ${step}\n`);
  }

  write(text: string): void {
    this.text += text;
    if (this.text.length > MAX_LOG_CHARS) {
      const cut = this.text.length - MAX_LOG_CHARS;
      this.dropped += cut;
      this.text = this.text.slice(cut);
    }
    this.pending += text;
    this.timer ??= setTimeout(() => this.flush(), LIVE_FLUSH_INTERVAL_MS);
  }

  /** The last `### step` header written, whoever wrote it (the install container writes its own). */
  lastStep(): string | null {
    const headers = [...this.text.matchAll(/^### (.+)$/gm)];
    return headers.at(-1)?.[1] ?? null;
  }

  /** The last lines, for a failure's message. */
  tail(): string {
    const tail = this.text.slice(-TAIL_CHARS);
    const newline = tail.indexOf('\n');
    return this.text.length > TAIL_CHARS && newline >= 0 ? tail.slice(newline + 1) : tail;
  }

  /** The whole log as stored: a note first when its start was dropped. */
  contents(): Buffer {
    const note = this.dropped > 0 ? `[the first ${this.dropped} characters were dropped]\n` : '';
    return Buffer.from(note + this.text);
  }

  /** Sends what is pending; resolves once every chunk so far has been sent (or failed to be). */
  async close(): Promise<void> {
    this.flush();
    await this.flushing;
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.sink || this.pending.length === 0) return;
    const room = MAX_LIVE_CHARS - this.liveChars;
    const text = this.pending.slice(0, Math.max(0, room));
    this.pending = '';
    if (text.length === 0) return;
    this.liveChars += text.length;
    const offset = this.sent.get(this.step) ?? 0;
    this.sent.set(this.step, offset + text.length);
    const chunk: OutputChunk = { scope: BUILD_SCOPE, stage: this.step, stream: 'stdout', offset, text };
    const sink = this.sink;
    // In order, one at a time: the workflow keeps a chunk only if it continues the last one.
    this.flushing = this.flushing.then(() => sink(chunk).catch(() => undefined));
  }
}
