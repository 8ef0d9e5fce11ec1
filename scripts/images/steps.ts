/**
 * The image build's steps: each is named, timed and logged, and a failure names the image and the
 * step it failed in. Every command's whole output goes to the image's log file; a failure carries
 * its tail.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';

const STARTED = Date.now();
const TAIL_CHARS = 2000;

/** A step that failed, e.g. `scanner: step "npm ci" failed: ...`. */
export class BuildStepError extends Error {
  constructor(
    readonly image: string,
    readonly step: string,
    detail: string,
    readonly logFile?: string,
  ) {
    super(`${image}: step "${step}" failed: ${detail}${logFile ? `\n(whole log: ${logFile})` : ''}`);
    this.name = 'BuildStepError';
  }
}

/** One image's (or base's) build: where its commands log, and how its steps are named. */
export interface StepOptions {
  /** No progress line for it (it still goes to the log). */
  quiet?: boolean;
  timing?: string;
}

export class BuildScope {
  readonly logFile: string;
  private readonly spent = new Map<string, number>();

  constructor(
    readonly name: string,
    logDir: string,
  ) {
    fs.mkdirSync(logDir, { recursive: true });
    this.logFile = path.join(logDir, `${name}.log`);
    fs.writeFileSync(this.logFile, '');
  }

  /** A progress line, with the time since the build started. */
  log(message: string): void {
    process.stdout.write(`[images] +${elapsed()} ${this.name}: ${message}\n`);
  }

  /**
   * Runs `fn` as the step `step`; any failure becomes a BuildStepError naming both. A step with a
   * `timing` name counts towards that figure in `timings()`.
   */
  async step<T>(step: string, fn: () => Promise<T> | T, { quiet = false, timing }: StepOptions = {}): Promise<T> {
    if (!quiet) this.log(step);
    const started = Date.now();
    fs.appendFileSync(this.logFile, `\n### ${step} (at +${elapsed()})\n`);
    try {
      return await fn();
    } catch (err) {
      if (err instanceof BuildStepError) throw err;
      throw new BuildStepError(this.name, step, err instanceof Error ? err.message : String(err), this.logFile);
    } finally {
      const ms = Date.now() - started;
      fs.appendFileSync(this.logFile, `### ${step}: ${(ms / 1000).toFixed(1)}s\n`);
      if (timing) this.spent.set(timing, (this.spent.get(timing) ?? 0) + ms);
    }
  }

  /** Where the time went, e.g. `install 12.1s, import 4.0s`. */
  timings(): string {
    return [...this.spent].map(([name, ms]) => `${name} ${(ms / 1000).toFixed(1)}s`).join(', ');
  }

  /** Runs a command; its output goes to the log, stdout is returned. Rejects with the output's tail. */
  run(cmd: string, args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}): Promise<string> {
    const log = fs.openSync(this.logFile, 'a');
    fs.writeSync(log, `$ ${[cmd, ...args].join(' ')}\n`);
    return new Promise<string>((resolve, reject) => {
      const child = spawn(cmd, args, {
        env: { ...process.env, ...opts.env },
        cwd: opts.cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let tail = '';
      const keep = (chunk: Buffer) => {
        fs.writeSync(log, chunk);
        tail = (tail + chunk.toString()).slice(-TAIL_CHARS);
      };
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        keep(d);
      });
      child.stderr.on('data', keep);
      child.on('error', (err) => {
        fs.closeSync(log);
        reject(err);
      });
      child.on('close', (code, signal) => {
        fs.closeSync(log);
        if (code === 0) resolve(out);
        else reject(new Error(`${cmd} exited ${code ?? signal}: ${tail.trim()}`));
      });
    });
  }
}

export function elapsed(since = STARTED): string {
  return `${((Date.now() - since) / 1000).toFixed(1)}s`;
}

/** Runs `fn` over `items`, `width` at a time; every build finishes (or fails) before any failure is reported. */
export async function runPool<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<unknown[]> {
  const queue = [...items];
  const failures: unknown[] = [];
  const workers = Array.from({ length: Math.min(width, queue.length) }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
      await fn(item).catch((err: unknown) => failures.push(err));
    }
  });
  await Promise.all(workers);
  return failures;
}
