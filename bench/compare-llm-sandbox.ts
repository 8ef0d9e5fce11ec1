/**
 * The llm-sandbox target: a pinned llm-sandbox in a private venv, driven through
 * bench/llm_sandbox_driver.py, one long-lived Python process that runs each program in its own
 * SandboxSession. Keeping the interpreter alive means its start-up and imports are paid once, as
 * in an application that embeds the library, not once per program.
 */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { PROJECT_ROOT, STATE_DIR } from '../lib/node/paths';
import type { Outcome, Target } from './compare-targets';

const run = promisify(execFile);

const REQUIREMENTS = path.join(PROJECT_ROOT, 'bench', 'llm-sandbox-requirements.txt');
const DRIVER = path.join(PROJECT_ROOT, 'bench', 'llm_sandbox_driver.py');
/** Under the ignored state directory, so neither git nor the linters look inside. */
export const DEFAULT_VENV = path.join(STATE_DIR, 'bench', 'llm-sandbox-venv');

/**
 * Creates the venv and installs the pinned requirements, unless a venv built from the same
 * requirements file is already there. Returns the venv's interpreter.
 */
export async function ensureVenv(venv: string, python: string): Promise<string> {
  const interpreter = path.join(venv, 'bin', 'python');
  const stamp = path.join(venv, 'requirements.sha256');
  const wanted = createHash('sha256').update(fs.readFileSync(REQUIREMENTS)).digest('hex');
  if (fs.existsSync(interpreter) && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === wanted) {
    return interpreter;
  }
  process.stderr.write(`creating ${venv} with ${path.relative(PROJECT_ROOT, REQUIREMENTS)}\n`);
  fs.rmSync(venv, { recursive: true, force: true });
  await run(python, ['-m', 'venv', venv]);
  await run(interpreter, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '-r', REQUIREMENTS]);
  fs.writeFileSync(stamp, wanted);
  return interpreter;
}

export async function installedVersion(interpreter: string): Promise<string> {
  const { stdout } = await run(interpreter, ['-c', 'import importlib.metadata as m; print(m.version("llm-sandbox"))']);
  return stdout.trim();
}

interface DriverAnswer {
  id: number;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  error: string | null;
}

export class LlmSandboxTarget implements Target {
  readonly name = 'llm-sandbox';
  readonly description: string;
  private readonly pending = new Map<number, (outcome: Outcome) => void>();
  private nextId = 0;
  private exited: string | undefined;

  private constructor(
    private readonly driver: ChildProcessWithoutNullStreams,
    readonly version: string,
  ) {
    this.description =
      `llm-sandbox ${version}: a new SandboxSession (container) per program, ` +
      'skip_environment_setup, network_mode none, init';
    createInterface({ input: driver.stdout }).on('line', (line) => this.answer(JSON.parse(line) as DriverAnswer));
    driver.stderr.on('data', (d: Buffer) => process.stderr.write(`llm-sandbox: ${d.toString()}`));
    driver.on('exit', (code, signal) => {
      this.exited = `the llm-sandbox driver exited (${signal ?? code})`;
      for (const resolve of this.pending.values()) resolve({ exitCode: null, stdout: '', error: this.exited });
      this.pending.clear();
    });
  }

  static async start(options: { venv: string; python: string; image: string; maxWorkers: number }) {
    const interpreter = await ensureVenv(options.venv, options.python);
    const version = await installedVersion(interpreter);
    const driver = spawn(interpreter, [
      '-u',
      DRIVER,
      '--image',
      options.image,
      '--max-workers',
      String(options.maxWorkers),
    ]);
    return new LlmSandboxTarget(driver, version);
  }

  run(code: string): Promise<Outcome> {
    if (this.exited) return Promise.resolve({ exitCode: null, stdout: '', error: this.exited });
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.driver.stdin.write(`${JSON.stringify({ id, code })}\n`);
    });
  }

  private answer(message: DriverAnswer): void {
    const resolve = this.pending.get(message.id);
    if (!resolve) return;
    this.pending.delete(message.id);
    const failed = message.error ?? (message.exitCode === 0 ? undefined : message.stderr.slice(-500));
    resolve({ exitCode: message.exitCode, stdout: message.stdout, ...(failed ? { error: failed } : {}) });
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise((resolve) => this.driver.once('exit', resolve));
    this.driver.stdin.end();
    await exited;
  }
}
