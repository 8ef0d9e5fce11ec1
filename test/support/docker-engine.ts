import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { PROJECT_ROOT } from '../../lib/node/paths';

const run = promisify(execFile);
const ENGINE_SCRIPT = path.join(PROJECT_ROOT, 'scripts', 'engine.sh');

/**
 * A second Docker engine on this machine (scripts/engine.sh): its own dockerd, containerd, data
 * root and socket, so a host worker pointed at it is a host of its own. Tests kill this one, never
 * the system engine the other suites share.
 */
export class DockerEngine {
  readonly docker: Docker;

  private constructor(
    readonly name: string,
    /** `unix:///…/docker.sock`, the DOCKER_HOST a worker on this engine gets. */
    readonly dockerHost: string,
    private readonly pidFile: string,
    private readonly images: string[],
  ) {
    this.docker = new Docker({ socketPath: dockerHost.replace(/^unix:\/\//, '') });
  }

  /** Starts the engine unless it answers, and copies `images` from the system engine where missing or stale. */
  static async start(name: string, images: string[]): Promise<DockerEngine> {
    const env = await engineScript('start', name, ...images);
    return new DockerEngine(name, env.DOCKER_HOST!, env.AIRLOCK_ENGINE_PIDFILE!, images);
  }

  get pid(): number | undefined {
    const raw = fs.existsSync(this.pidFile) ? fs.readFileSync(this.pidFile, 'utf8').trim() : '';
    return raw ? Number(raw) : undefined;
  }

  /** SIGKILL to dockerd, as when the engine crashes; its containerd goes with it, the shims stay. */
  async kill(): Promise<void> {
    const pid = this.pid;
    if (pid === undefined) return;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      return; // already gone
    }
    await waitForDeath(pid, 15_000);
  }

  /** SIGSTOP to dockerd: calls to the engine hang, as on a machine about to die. `kill` still ends it. */
  freeze(): void {
    if (this.pid !== undefined) process.kill(this.pid, 'SIGSTOP');
  }

  /** Starts it again on the same data root: it stops whatever containers the dead engine left running. */
  async restart(): Promise<void> {
    await engineScript('start', this.name, ...this.images);
  }

  async stop(): Promise<void> {
    await engineScript('stop', this.name);
  }
}

async function engineScript(...args: string[]): Promise<Record<string, string>> {
  try {
    const { stdout } = await run('bash', [ENGINE_SCRIPT, ...args], { cwd: PROJECT_ROOT, timeout: 180_000 });
    return Object.fromEntries(
      stdout
        .split('\n')
        .map((line) => /^([A-Z_]+)=(.*)$/.exec(line))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => [m[1]!, m[2]!]),
    );
  } catch (err) {
    const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
    throw new Error(`scripts/engine.sh ${args.join(' ')} failed: ${stderr || stdout || String(err)}`);
  }
}

/** Waits until `pid` has exited; a zombie counts (dockerd's parent is init, which reaps it when it gets to it). */
async function waitForDeath(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return;
    }
    // "pid (comm) S …": the state follows the last parenthesis.
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`process ${pid} did not exit within ${timeoutMs} ms`);
}
