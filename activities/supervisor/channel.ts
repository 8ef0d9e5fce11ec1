import type Docker from 'dockerode';
import { PassThrough, type Duplex } from 'node:stream';
import { encodeFrame, encodeRunPayload, FrameDecoder, FrameKind, SYNC_MARKER, type Frame } from './frames';

const HELLO_REPEAT_MS = 1_000;

/** What the supervisor is asked to run: one process as the sandbox user, with the files written first. */
export interface RunRequest {
  /** Asked again with the same key (after a host restart), the supervisor follows that run instead. */
  key?: string;
  argv: string[];
  env?: Record<string, string>;
  stdin?: string | Uint8Array;
  timeoutMs: number;
  outputBytes: number;
  /** RLIMIT_CPU for this run, lowered from the container's. */
  cpuRlimit?: { soft: number; hard: number };
  /** A tar of files to write into the workspace before the program starts. */
  files?: Buffer;
}

export interface RunHandlers {
  onStdout(bytes: Buffer): void;
  onStderr(bytes: Buffer): void;
}

/** The supervisor's answer to a run (images/supervisor/run.go). */
export interface RunAnswer {
  exitCode: number | null;
  wallMs: number;
  /** The limit the supervisor stopped the program at. */
  limit?: 'wall' | 'output';
  /** Stopped by the supervisor: at a limit or when the host asked. */
  killed: boolean;
  /** Processes the program left running, killed after it. */
  leftover: number;
  stdoutBytes: number;
  stderrBytes: number;
  /** The program could not be started (an exhausted pids limit, say). */
  error?: string;
  /**
   * The launcher failed before the program started (writing the files, say), told on a pipe the
   * program never holds: never something the program printed.
   */
  setup?: string;
  /** The key was run before and is no longer kept: it was not run again. */
  evicted?: boolean;
}

export interface PackAnswer {
  tar: Buffer;
  bytes: number;
  truncated: boolean;
  exitCode: number;
  error?: string;
}

export class ChannelClosed extends Error {}

interface Pending {
  onFrame(frame: Frame): void;
  onClose(err: Error): void;
}

/**
 * A host worker's channel to the supervisor of one container: the attach stream, which only the
 * engine and the supervisor can reach. Requests carry ids, and answers and output frames name them.
 */
export class SupervisorChannel {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closedBy: Error | undefined;
  private readonly closeListeners: Array<() => void> = [];

  private constructor(
    private readonly stream: Duplex,
    readonly supervisorPid: number,
  ) {}

  /** Attaches to a started container and waits for its supervisor to answer. */
  static async open(container: Docker.Container, timeoutMs = 10_000): Promise<SupervisorChannel> {
    const stream = (await container.attach({
      stream: true,
      stdin: true,
      stdout: true,
      stderr: true,
      hijack: true,
    })) as Duplex;
    const frames = new PassThrough();
    const logs = new PassThrough();
    container.modem.demuxStream(stream, frames, logs);
    logs.resume();
    const decoder = new FrameDecoder();
    // Set once the supervisor has answered; frames before that wait in `early`.
    const bound: { channel?: SupervisorChannel } = {};
    const early: Frame[] = [];
    const hello = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the supervisor did not answer')), timeoutMs);
      frames.on('data', (chunk: Buffer) => {
        let decoded: Frame[];
        try {
          decoded = decoder.push(chunk);
        } catch (err) {
          stream.destroy(err as Error);
          return;
        }
        for (const frame of decoded) {
          const { channel } = bound;
          if (!channel && frame.kind === FrameKind.hello && frame.id === 0) {
            clearTimeout(timer);
            resolve((JSON.parse(frame.payload.toString('utf8')) as { pid: number }).pid);
          } else if (channel) channel.dispatch(frame);
          else early.push(frame);
        }
      });
      const onEnd = (err?: Error) => {
        clearTimeout(timer);
        const closed = err ?? new ChannelClosed('the supervisor channel closed');
        reject(closed);
        bound.channel?.fail(closed);
      };
      stream.on('error', onEnd);
      stream.on('close', () => onEnd());
      stream.on('end', () => onEnd());
    });
    // Repeated until answered: a supervisor still inside a frame a dead host cut short takes a
    // couple of seconds to give up on it and look for a marker.
    const greet = () => stream.write(Buffer.concat([SYNC_MARKER, encodeFrame(FrameKind.hello, 0, Buffer.from('{}'))]));
    greet();
    const again = setInterval(greet, HELLO_REPEAT_MS);
    const pid = await hello
      .catch((err: unknown) => {
        stream.destroy();
        throw err;
      })
      .finally(() => clearInterval(again));
    const channel = new SupervisorChannel(stream, pid);
    bound.channel = channel;
    for (const frame of early) channel.dispatch(frame);
    return channel;
  }

  get closed(): boolean {
    return this.closedBy !== undefined;
  }

  /** Called once, when the stream ends (the container stopped, or the channel was closed here). */
  onClose(listener: () => void): void {
    if (this.closedBy) listener();
    else this.closeListeners.push(listener);
  }

  /** Runs one process; output arrives through the handlers before the answer. */
  run(request: RunRequest, handlers: RunHandlers, signal?: AbortSignal): Promise<RunAnswer> {
    const { files, stdin, cpuRlimit, ...rest } = request;
    const wire = {
      ...rest,
      ...(stdin === undefined || stdin.length === 0 ? {} : { stdin: Buffer.from(stdin).toString('base64') }),
      ...(cpuRlimit ? { cpuSoft: cpuRlimit.soft, cpuHard: cpuRlimit.hard } : {}),
    };
    return this.request(FrameKind.run, encodeRunPayload(wire, files ?? Buffer.alloc(0)), (id, resolve, reject) => {
      const onAbort = () => this.write(FrameKind.kill, id, Buffer.alloc(0));
      signal?.addEventListener('abort', onAbort, { once: true });
      if (signal?.aborted) onAbort();
      return {
        onFrame: (frame) => {
          if (frame.kind === FrameKind.stdout) handlers.onStdout(frame.payload);
          else if (frame.kind === FrameKind.stderr) handlers.onStderr(frame.payload);
          else {
            signal?.removeEventListener('abort', onAbort);
            if (frame.kind === FrameKind.exit) resolve(JSON.parse(frame.payload.toString('utf8')) as RunAnswer);
            else reject(new Error(`supervisor: ${failure(frame)}`));
          }
        },
        onClose: (err) => {
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
    });
  }

  /** The workspace as a tar (at most `limitBytes`), read once every process of the program is gone. */
  pack(limitBytes: number): Promise<PackAnswer> {
    const chunks: Buffer[] = [];
    return this.request(FrameKind.pack, Buffer.from(JSON.stringify({ limitBytes })), (_id, resolve, reject) => ({
      onFrame: (frame) => {
        if (frame.kind === FrameKind.tar) chunks.push(frame.payload);
        else if (frame.kind === FrameKind.packed) {
          const answer = JSON.parse(frame.payload.toString('utf8')) as Omit<PackAnswer, 'tar'>;
          resolve({ ...answer, tar: Buffer.concat(chunks) });
        } else reject(new Error(`supervisor: ${failure(frame)}`));
      },
      onClose: reject,
    }));
  }

  close(): void {
    this.stream.destroy();
  }

  private request<T>(
    kind: FrameKind,
    payload: Buffer,
    handle: (id: number, resolve: (value: T) => void, reject: (err: Error) => void) => Pending,
  ): Promise<T> {
    if (this.closedBy) return Promise.reject(this.closedBy);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const done =
        <A extends unknown[]>(f: (...args: A) => void) =>
        (...args: A) => {
          this.pending.delete(id);
          f(...args);
        };
      this.pending.set(id, handle(id, done(resolve), done(reject)));
      this.write(kind, id, payload);
    });
  }

  private write(kind: FrameKind, id: number, payload: Buffer): void {
    if (!this.closedBy) this.stream.write(encodeFrame(kind, id, payload));
  }

  private dispatch(frame: Frame): void {
    this.pending.get(frame.id)?.onFrame(frame);
  }

  private fail(err: Error): void {
    if (this.closedBy) return;
    this.closedBy = err;
    for (const pending of [...this.pending.values()]) pending.onClose(err);
    this.pending.clear();
    for (const listener of this.closeListeners.splice(0)) listener();
  }
}

function failure(frame: Frame): string {
  try {
    return (JSON.parse(frame.payload.toString('utf8')) as { error?: string }).error ?? 'unknown failure';
  } catch {
    return `unexpected frame ${frame.kind}`;
  }
}
