/**
 * envd's `process.Process` service over sandbox exec steps. A command is one step: its gates run
 * first, its output streams from the step's live events, and its end is the step's result. A command
 * the gates block ends as a failed command whose error is the gate's reason.
 */
import crypto from 'node:crypto';
import type { Request } from 'express';
import type { StepResult } from '../../lib/schemas/sandbox';
import type { LiveEvent } from '../../lib/schemas/events';
import { ErrorType } from '../../lib/errors';
import { ConnectError, type ConnectStream, connectTimeoutMs } from './connect';
import { WORKSPACE_ROOT, toE2bPath, toWorkspacePath } from './paths';
import { newStepId, type SandboxCall } from './steps';

/** What a command the gates refused exits with: "cannot execute", as a shell says. */
export const BLOCKED_EXIT_CODE = 126;
/** Below envd's 50 s keepalive, so no proxy closes a quiet stream. */
const KEEPALIVE_MS = 20_000;
const POLL_MIN_MS = 25;
const POLL_MAX_MS = 500;
const MAX_ARGS = 64;
const MAX_ARGV_BYTES = 1024 * 1024;

interface ProcessConfig {
  cmd: string;
  args: string[];
  envs: Record<string, string>;
  cwd: string;
}

function processConfig(raw: unknown): ProcessConfig {
  const p = (raw ?? {}) as Record<string, unknown>;
  if (typeof p.cmd !== 'string' || p.cmd.length === 0)
    throw new ConnectError('invalid_argument', 'process.cmd is required');
  const args = p.args ?? [];
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) {
    throw new ConnectError('invalid_argument', 'process.args must be strings');
  }
  if (args.length > MAX_ARGS) throw new ConnectError('invalid_argument', `process.args: at most ${MAX_ARGS}`);
  const bytes = [p.cmd, ...args].reduce((n, a) => n + Buffer.byteLength(a), 0);
  if (bytes > MAX_ARGV_BYTES) throw new ConnectError('invalid_argument', `the command is over ${MAX_ARGV_BYTES} bytes`);
  const envs = p.envs ?? {};
  if (typeof envs !== 'object' || Array.isArray(envs) || !Object.values(envs).every((v) => typeof v === 'string')) {
    throw new ConnectError('invalid_argument', 'process.envs must map names to strings');
  }
  return {
    cmd: p.cmd,
    args: args as string[],
    envs: envs as Record<string, string>,
    cwd: toWorkspacePath(p.cwd, 'process.cwd'),
  };
}

/** Commands run as the sandbox user; E2B's `user` option can name only that user. */
export function requireSandboxUser(req: Request): void {
  const header = req.get('authorization');
  if (!header?.startsWith('Basic ')) return;
  const user = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':')[0];
  if (user && user !== 'user') {
    throw new ConnectError('permission_denied', `commands run as the sandbox user only, never as "${user}"`);
  }
}

/** The pid a step answers to: stable for its id, so a later call can name it. */
export function pidOf(stepId: string): number {
  return crypto.createHash('sha256').update(stepId).digest().readUInt32BE(0) & 0x7fffffff || 1;
}

const IN_DIRECTORY = ['/bin/sh', '-c', 'cd -- "$1" || exit 1; shift; exec "$@"', 'sh'];

/** A command's argv, in its working directory (the workspace unless told). */
function argvOf({ cmd, args, cwd }: ProcessConfig): string[] {
  if (cwd === WORKSPACE_ROOT) return [cmd, ...args];
  return [...IN_DIRECTORY, toE2bPath(cwd), cmd, ...args];
}

/** The command an argv came from, as envd lists it: `argvOf` read back. */
export function configOf(argv: string[], envs: Record<string, string> = {}): Record<string, unknown> {
  const inDirectory = IN_DIRECTORY.every((word, i) => argv[i] === word) && argv.length > IN_DIRECTORY.length + 1;
  const [cwd, cmd, ...args] = inDirectory ? argv.slice(IN_DIRECTORY.length) : [toE2bPath(WORKSPACE_ROOT), ...argv];
  return { cmd, args, envs, cwd };
}

/** envd's `end` for a step's result. */
export function endEvent(result: StepResult | null): { end: Record<string, unknown>; stderr?: string } {
  if (!result) return { end: { exitCode: -1, exited: false, status: 'unknown', error: 'the step has no result' } };
  // Killed by its client (commands.kill, a signal): what envd says of a killed process.
  if (result.error?.type === ErrorType.StepCancelled) {
    return { end: { exitCode: -1, exited: false, status: 'signal: killed', error: 'signal: killed' } };
  }
  if (result.status === 'rejected') {
    const reason = result.error?.message ?? 'a gate blocked this command';
    const error = `blocked by Airlock: ${reason}`;
    return {
      end: { exitCode: BLOCKED_EXIT_CODE, exited: true, status: 'rejected', error },
      stderr: result.process ? undefined : `${error}\n`,
    };
  }
  const p = result.process;
  if (!p) {
    const error = result.error ? `${result.error.type}: ${result.error.message}` : result.status;
    return { end: { exitCode: -1, exited: false, status: result.status, error } };
  }
  const limit = p.limitExceeded ? ` (${p.limitExceeded} limit exceeded)` : '';
  if (p.exitCode === null) {
    const signal = (p.signal ?? 'SIGKILL').replace(/^SIG/, '').toLowerCase();
    return { end: { exitCode: -1, exited: false, status: result.status, error: `signal: ${signal}${limit}` } };
  }
  if (p.exitCode === 0) return { end: { exited: true, status: 'exit status 0' } };
  return {
    end: {
      exitCode: p.exitCode,
      exited: true,
      status: `exit status ${p.exitCode}`,
      error: `exit status ${p.exitCode}${limit}`,
    },
  };
}

export interface StartDeps {
  /** The step's wall-clock limit under the sandbox's policy: a shorter client deadline is passed on. */
  stepTimeoutMs(call: SandboxCall): Promise<number>;
}

/** `Process/Start`: the step is queued, `start` goes out, then its output and its end. */
export async function startProcess(
  deps: StartDeps,
  call: SandboxCall,
  message: Record<string, unknown>,
  req: Request,
  stream: ConnectStream,
): Promise<void> {
  if (message.pty)
    throw new ConnectError('unimplemented', 'PTY sessions are not supported on Airlock yet (docs/e2b.md)');
  requireSandboxUser(req);
  const config = processConfig(message.process);
  const deadline = connectTimeoutMs(req);
  const ceiling = deadline === undefined ? Infinity : await deps.stepTimeoutMs(call);
  const stepId = newStepId('e2bp');
  const { pages, finished } = await call.sandboxes.startStep(call.sandboxId, call.tenant, {
    stepId,
    request: {
      kind: 'exec',
      argv: argvOf(config),
      ...(Object.keys(config.envs).length > 0 ? { env: config.envs } : {}),
      ...(deadline !== undefined && deadline < ceiling ? { timeoutMs: deadline } : {}),
    },
  });
  stream.open();
  stream.send({ event: { start: { pid: pidOf(stepId) } } });
  await relay(pages, finished, stream);
}

/** The step's events as envd's: output as it comes, keepalives while it is quiet, its end last. */
export async function relay(
  pages: (after: number) => Promise<LiveEvent[]>,
  finished: Promise<void>,
  stream: ConnectStream,
): Promise<void> {
  let after = 0;
  let wait = POLL_MIN_MS;
  let lastSent = Date.now();
  while (!stream.gone) {
    const page = await pages(after);
    for (const event of page) {
      after = event.id;
      if (event.type === 'stdout' || event.type === 'stderr') {
        const bytes = Buffer.from(event.data.text, 'utf8').toString('base64');
        stream.send({ event: { data: { [event.type]: bytes } } });
      } else if (event.type === 'end') {
        const { end, stderr } = endEvent((event.data.result as StepResult | null) ?? null);
        if (stderr) stream.send({ event: { data: { stderr: Buffer.from(stderr).toString('base64') } } });
        stream.send({ event: { end } });
        stream.end();
        return;
      }
    }
    if (page.length > 0) {
      wait = POLL_MIN_MS;
      lastSent = Date.now();
      continue;
    }
    if (Date.now() - lastSent >= KEEPALIVE_MS) {
      stream.send({ event: { keepalive: {} } });
      lastSent = Date.now();
    }
    // Output is polled; the end wakes the relay at once, as the update's result arrives.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([finished, new Promise((resolve) => (timer = setTimeout(resolve, wait)))]);
    clearTimeout(timer);
    wait = Math.min(POLL_MAX_MS, Math.round(wait * 1.5));
  }
}

const NOT_YET =
  'Airlock gives a command its stdin when it starts: sending input later, closing stdin and ' +
  'resizing a terminal are not supported yet (docs/e2b.md)';

/** The unary calls on processes Airlock cannot answer yet, each with its reason. */
export const processUnsupported = ['Update', 'StreamInput', 'SendInput', 'CloseStdin'];
export const PROCESS_NOT_YET = NOT_YET;
