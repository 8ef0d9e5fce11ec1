import fs from 'node:fs';
import path from 'node:path';
import type { ExecutionResult } from '../lib/schemas/execution-result';
import { AirlockError, type Airlock } from '../sdk/src';
import { apiClient } from './client';
import { printOutput } from './print-output';
import { saveArtifacts } from './save-artifacts';

export interface RunOptions {
  lang?: string;
  runtimeVersion?: string;
  /** One of the tenant's templates; its language is the run's unless --lang names one. */
  template?: string;
  stdin?: string;
  timeout?: string;
  /** Where to save the result's typed artifacts (charts, files of a known type). */
  artifacts?: string;
  url: string;
  key?: string;
}

/** Exit code when Airlock itself could not run the program (as `docker run` uses 125). */
export const EXIT_AIRLOCK_ERROR = 125;
/** Exit code for a program stopped at its time limit (as timeout(1) uses 124). */
export const EXIT_TIME_LIMIT = 124;

export class UsageError extends Error {}

/**
 * `airlock run FILE`: prints the program's output and returns the program's exit code (125 when its
 * whole output could not be printed, or an artifact asked for could not be saved).
 */
export async function runCommand(file: string, opts: RunOptions): Promise<number> {
  const client = apiClient(opts);
  const code = readFile(file, 'FILE');
  const language =
    opts.lang ??
    (opts.template !== undefined
      ? (await client.templates.get(opts.template)).runtime.language
      : await inferLanguage(client, file));
  const timeoutMs = opts.timeout === undefined ? undefined : Number(opts.timeout);
  if (timeoutMs !== undefined && (!Number.isInteger(timeoutMs) || timeoutMs <= 0)) {
    throw new UsageError(`--timeout must be a positive whole number of milliseconds, got "${opts.timeout}"`);
  }
  const result = await client.executions.run({
    language,
    ...(opts.runtimeVersion !== undefined ? { version: opts.runtimeVersion } : {}),
    ...(opts.template !== undefined ? { template: opts.template } : {}),
    files: [{ path: path.basename(file), content: code.toString('base64'), encoding: 'base64' }],
    entrypoint: path.basename(file),
    ...(opts.stdin !== undefined ? { stdin: readFile(opts.stdin, '--stdin').toString('utf8') } : {}),
    ...(timeoutMs !== undefined ? { limits: { timeoutMs } } : {}),
  });
  // A long stream is only a preview in the result: the whole is fetched from the API's store.
  const printed = [
    await printOutput(client, result, 'stdout', process.stdout),
    await printOutput(client, result, 'stderr', process.stderr),
  ];
  if (opts.artifacts !== undefined) printed.push(await saveArtifacts(client, result, opts.artifacts));
  const exitCode = exitCodeFor(result);
  return printed.every(Boolean) ? exitCode : EXIT_AIRLOCK_ERROR;
}

export function exitCodeFor(result: ExecutionResult): number {
  const note = (message: string): void => void process.stderr.write(`airlock: ${message}\n`);
  switch (result.status) {
    case 'succeeded':
    case 'runtime_error':
      return result.run?.exitCode ?? EXIT_AIRLOCK_ERROR;
    case 'signaled':
      note(`killed by ${result.run?.signal}`);
      return result.run?.exitCode ?? EXIT_AIRLOCK_ERROR;
    case 'time_limit_exceeded':
      note(`time limit exceeded (${result.timeLimit})`);
      return EXIT_TIME_LIMIT;
    default:
      note(`${result.status}${result.error ? `: ${result.error.message}` : ''} (execution ${result.id})`);
      return result.run?.exitCode ?? EXIT_AIRLOCK_ERROR;
  }
}

async function inferLanguage(client: Airlock, file: string): Promise<string> {
  const ext = path.extname(file).toLowerCase();
  const runtimes = await client.runtimes();
  const match = runtimes.find((r) => r.extensions.includes(ext));
  if (!match) {
    const known = runtimes.map((r) => `${r.name} (${r.extensions.join(' ')})`).join(', ');
    throw new UsageError(`cannot infer the language of "${file}"; pass --lang. Known: ${known}`);
  }
  return match.name;
}

function readFile(file: string, what: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new UsageError(`${what}: cannot read "${file}": ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

export function describeError(err: unknown): string {
  if (err instanceof AirlockError || err instanceof UsageError) return err.message;
  return err instanceof Error ? err.message : String(err);
}
