import { Writable } from 'node:stream';

/**
 * Collects stdout and stderr under one shared byte budget. Bytes past the budget are counted
 * but not kept, and `onLimit` fires once so the caller can kill the process.
 */
export class OutputCapture {
  readonly stdout: StreamBuffer;
  readonly stderr: StreamBuffer;
  private kept = 0;
  private limitHit = false;

  constructor(
    private readonly limitBytes: number,
    private readonly onLimit: () => void,
    /** Sees every kept byte as it arrives (live output). */
    onKept?: (stream: 'stdout' | 'stderr', bytes: Buffer) => void,
  ) {
    this.stdout = new StreamBuffer(this, onKept && ((b) => onKept('stdout', b)));
    this.stderr = new StreamBuffer(this, onKept && ((b) => onKept('stderr', b)));
  }

  get exceeded(): boolean {
    return this.limitHit;
  }

  /** How much of `length` new bytes may still be kept. */
  take(length: number): number {
    const room = Math.max(0, this.limitBytes - this.kept);
    const keep = Math.min(room, length);
    this.kept += keep;
    if (length > keep && !this.limitHit) {
      this.limitHit = true;
      this.onLimit();
    }
    return keep;
  }
}

export class StreamBuffer extends Writable {
  private readonly chunks: Buffer[] = [];
  private total = 0;
  private kept = 0;

  constructor(
    private readonly capture: OutputCapture,
    private readonly onKept?: (bytes: Buffer) => void,
  ) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.total += chunk.length;
    const keep = this.capture.take(chunk.length);
    if (keep > 0) {
      const kept = keep === chunk.length ? chunk : chunk.subarray(0, keep);
      this.chunks.push(kept);
      this.kept += keep;
      this.onKept?.(kept);
    }
    callback();
  }

  /** Every byte the process wrote, kept or not. */
  get bytes(): number {
    return this.total;
  }

  /** The bytes kept of what the process wrote. */
  get keptBytes(): number {
    return this.kept;
  }

  get truncated(): boolean {
    return this.total > this.kept;
  }

  buffer(): Buffer {
    return Buffer.concat(this.chunks);
  }

  text(): string {
    return this.buffer().toString('utf8');
  }
}
