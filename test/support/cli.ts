import path from 'node:path';
import { spawn } from 'node:child_process';
import { PROJECT_ROOT } from '../../lib/node/paths';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `bin/airlock ARGS` against an API as a user's shell would, and collects what it printed. */
export function runCli(target: { url: string; apiKey: string }, ...args: string[]): Promise<CliRun> {
  return runProgram(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'airlock'), ...args], {
    env: { ...process.env, AIRLOCK_URL: target.url, AIRLOCK_API_KEY: target.apiKey },
  });
}

/** Runs a program to its end and collects what it printed. */
export function runProgram(
  program: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string },
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, options);
    child.on('error', reject);
    // Decoded once at the end: a character split across two reads stays whole.
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => stdout.push(d));
    child.stderr.on('data', (d: Buffer) => stderr.push(d));
    child.on('close', (code) =>
      resolve({ code, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') }),
    );
  });
}
