import { StringDecoder } from 'node:string_decoder';
import type { OutputRules } from '../../lib/schemas/policy';
import { scanOutput } from '../../lib/gates/output-scan';
import { LIVE_FLUSH_INTERVAL_MS, type OutputChunk, type OutputStream } from '../../lib/live-output';

/** Where live output goes: the workflow that owns the process (a Temporal signal in production). */
export type LiveOutputSink = (workflowId: string, chunk: OutputChunk) => Promise<void>;

export interface LiveOutputTarget {
  sink: LiveOutputSink;
  workflowId: string;
  scope: string;
  stage: string;
  rules?: OutputRules;
}

const PEM_BEGIN = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;
const PEM_END = /-----END [A-Z0-9 ]*PRIVATE KEY-----[^\n]*\n?/;
/** A line longer than this is sent without waiting for its end. */
const MAX_HELD_CHARS = 16 * 1024;

/**
 * One stream of one process, sent while it runs. Only whole lines go out, each through the output
 * gate, and a private-key block is held until it ends, so what the gate redacts in the result is
 * redacted here too. What is still held when the process ends goes out as one last chunk.
 */
class StreamRelay {
  private readonly decoder = new StringDecoder('utf8');
  private held = '';
  private sentChars = 0;

  constructor(
    private readonly stream: OutputStream,
    private readonly rules: OutputRules | undefined,
  ) {}

  write(bytes: Buffer): void {
    this.held += this.decoder.write(bytes);
  }

  /** The next chunk to send, or null when nothing complete is ready. */
  take(target: LiveOutputTarget): OutputChunk | null {
    const ready = this.readyLength();
    return ready === 0 ? null : this.chunkOf(ready, target);
  }

  /**
   * Everything still held once the process has ended, unfinished line or key block included, so
   * the stream ends exactly as the output does. Null for a stream that sent nothing while the
   * process ran: the workflow takes that one from the result, which costs no signal.
   */
  rest(target: LiveOutputTarget): OutputChunk | null {
    this.held += this.decoder.end();
    if (this.sentChars === 0 || this.held.length === 0) return null;
    return this.chunkOf(this.held.length, target);
  }

  private chunkOf(length: number, target: LiveOutputTarget): OutputChunk {
    const raw = this.held.slice(0, length);
    this.held = this.held.slice(length);
    const text = this.rules ? scanOutput(`${target.stage}.${this.stream}`, raw, this.rules).text : raw;
    const chunk = { scope: target.scope, stage: target.stage, stream: this.stream, offset: this.sentChars, text };
    this.sentChars += text.length;
    return chunk;
  }

  private readyLength(): number {
    let ready = 0;
    for (;;) {
      const rest = this.held.slice(ready);
      const pem = rest.search(PEM_BEGIN);
      if (pem < 0) {
        const lineEnd = lastLineEnd(rest);
        // A line that never ends is sent anyway once it is long: output must keep flowing.
        return ready + (lineEnd === 0 && rest.length > MAX_HELD_CHARS ? rest.length : lineEnd);
      }
      const end = PEM_END.exec(rest.slice(pem));
      // An unfinished key block waits for its end (or for the result): its body is the secret.
      if (!end) return ready + lastLineEnd(rest.slice(0, pem));
      ready += pem + end.index + end[0].length;
    }
  }
}

function lastLineEnd(text: string): number {
  return text.lastIndexOf('\n') + 1;
}

/**
 * The live output of one process: collects both streams and sends them every flush interval,
 * one send at a time so chunks arrive in order. A failed send is dropped: the result carries
 * the output anyway (or its preview, when it is stored), and the workflow fills in what it did
 * not receive.
 */
export class LiveOutput {
  private readonly relays: Record<OutputStream, StreamRelay>;
  private readonly timer: NodeJS.Timeout;
  private sending: Promise<void> | null = null;
  private broken = false;

  constructor(private readonly target: LiveOutputTarget) {
    this.relays = { stdout: new StreamRelay('stdout', target.rules), stderr: new StreamRelay('stderr', target.rules) };
    this.timer = setInterval(() => this.flush(), LIVE_FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  write(stream: OutputStream, bytes: Buffer): void {
    this.relays[stream].write(bytes);
  }

  /**
   * Ends the live output once the process has ended: waits for a send in flight, then sends the
   * rest of each stream that already went out, so that stream carries the whole output (its end
   * may be past the preview a stored result keeps). Returns when that is sent, so no chunk lands
   * after the result.
   */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sending;
    if (this.broken) return;
    await this.send(this.chunks((relay) => relay.rest(this.target)));
  }

  private flush(): void {
    if (this.sending || this.broken) return;
    const chunks = this.chunks((relay) => relay.take(this.target));
    if (chunks.length === 0) return;
    this.sending = this.send(chunks).finally(() => {
      this.sending = null;
    });
  }

  private chunks(next: (relay: StreamRelay) => OutputChunk | null): OutputChunk[] {
    return (['stdout', 'stderr'] as const).map((s) => next(this.relays[s])).filter((c) => c !== null);
  }

  private async send(chunks: OutputChunk[]): Promise<void> {
    try {
      for (const chunk of chunks) await this.target.sink(this.target.workflowId, chunk);
    } catch {
      // Later chunks would leave a gap the workflow cannot see; the result fills it instead.
      this.broken = true;
    }
  }
}
