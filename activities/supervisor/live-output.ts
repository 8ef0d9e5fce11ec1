import { StringDecoder } from 'node:string_decoder';
import type { OutputRules } from '../../lib/schemas/policy';
import { sharedScanner, type Scanner } from '../scanner';
import { LIVE_FLUSH_INTERVAL_MS, type OutputChunk, type OutputStream } from '../../lib/output-chunks';

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

  /** The next raw text to send, or null when nothing complete is ready. */
  take(): string | null {
    const ready = this.readyLength();
    return ready === 0 ? null : this.cut(ready);
  }

  /**
   * Everything still held once the process has ended, unfinished line or key block included, so
   * the stream ends exactly as the output does. Null for a stream that sent nothing while the
   * process ran: the workflow takes that one from the result, which costs no signal.
   */
  rest(): string | null {
    this.held += this.decoder.end();
    if (this.sentChars === 0 || this.held.length === 0) return null;
    return this.cut(this.held.length);
  }

  /** The chunk for `raw`, through the output gate (on the scan threads); chunks are made one at a time, in order. */
  async chunkOf(raw: string, target: LiveOutputTarget, scanner: Scanner): Promise<OutputChunk> {
    const text = this.rules ? (await scanner.output(`${target.stage}.${this.stream}`, raw, this.rules)).text : raw;
    const chunk = { scope: target.scope, stage: target.stage, stream: this.stream, offset: this.sentChars, text };
    this.sentChars += text.length;
    return chunk;
  }

  private cut(length: number): string {
    const raw = this.held.slice(0, length);
    this.held = this.held.slice(length);
    return raw;
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

  constructor(
    private readonly target: LiveOutputTarget,
    private readonly scanner: Scanner = sharedScanner(),
  ) {
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
    await this.send(this.pieces((relay) => relay.rest()));
  }

  private flush(): void {
    if (this.sending || this.broken) return;
    const pieces = this.pieces((relay) => relay.take());
    if (pieces.length === 0) return;
    this.sending = this.send(pieces).finally(() => {
      this.sending = null;
    });
  }

  private pieces(next: (relay: StreamRelay) => string | null): Array<[StreamRelay, string]> {
    return (['stdout', 'stderr'] as const)
      .map((s): [StreamRelay, string | null] => [this.relays[s], next(this.relays[s])])
      .filter((p): p is [StreamRelay, string] => p[1] !== null);
  }

  private async send(pieces: Array<[StreamRelay, string]>): Promise<void> {
    try {
      for (const [relay, raw] of pieces) {
        await this.target.sink(this.target.workflowId, await relay.chunkOf(raw, this.target, this.scanner));
      }
    } catch {
      // A failed send, or a scan past its budget: later chunks would leave a gap the workflow
      // cannot see, so live output stops and the result (gated whole) fills it in.
      this.broken = true;
    }
  }
}
