/**
 * The ways of running one Python program that bench/compare.ts puts side by side. Each target runs
 * a program in a fresh sandbox and returns what it printed; timing and judging are the caller's.
 */
import { spawn } from 'node:child_process';
import type { Airlock } from '../sdk/src';

/** What one run produced; `error` says why there is no exit code (or why it does not count). */
export interface Outcome {
  exitCode: number | null;
  stdout: string;
  error?: string;
}

export const TARGET_NAMES = ['airlock', 'docker', 'llm-sandbox'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

export interface Target {
  readonly name: TargetName;
  /** How the target runs a program, for the results file and the table. */
  readonly description: string;
  run(code: string): Promise<Outcome>;
  close(): Promise<void>;
}

/** POST /v1/executions?wait=true through the SDK, following the execution past the server's wait bound. */
export class AirlockTarget implements Target {
  readonly name = 'airlock';
  readonly description = 'Airlock HTTP API: POST /v1/executions?wait=true, language python, default policy';
  constructor(private readonly client: Airlock) {}

  async run(code: string): Promise<Outcome> {
    try {
      const result = await this.client.executions.run({ language: 'python', code });
      const outcome = { exitCode: result.run?.exitCode ?? null, stdout: result.run?.stdout ?? '' };
      if (result.status === 'succeeded') return outcome;
      const reason = result.error ? `${result.error.type}: ${result.error.message}` : (result.run?.stderr ?? '');
      return { ...outcome, error: `${result.status}: ${reason}`.slice(0, 500) };
    } catch (err) {
      return { exitCode: null, stdout: '', error: String(err) };
    }
  }

  async close(): Promise<void> {}
}

/** `docker run --rm` through the CLI, the baseline most users know; network off as in the others. */
export class DockerRunTarget implements Target {
  readonly name = 'docker';
  readonly description: string;

  constructor(private readonly image: string) {
    this.description = `docker run --rm --pull never --network none ${image} python3 -c <program>`;
  }

  run(code: string): Promise<Outcome> {
    return new Promise((resolve) => {
      // --pull never: the image is local, and a typo must fail here rather than reach for a registry.
      const args = ['run', '--rm', '--pull', 'never', '--network', 'none', this.image, 'python3', '-c', code];
      const child = spawn('docker', args);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', (err) => resolve({ exitCode: null, stdout, error: String(err) }));
      child.on('close', (code) =>
        resolve({ exitCode: code, stdout, ...(code === 0 ? {} : { error: stderr.slice(-500) }) }),
      );
    });
  }

  async close(): Promise<void> {}
}
