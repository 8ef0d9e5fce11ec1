import fs from 'node:fs';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { PROJECT_ROOT } from '../../lib/node/paths';
import type { Logger } from '../../lib/node/logger';

export interface LocalDriverOptions {
  /** Host ids are `<prefix>-<n>`: a restarted slot keeps its id, so its reaper finds what it left. */
  hostIdPrefix: string;
  logDir: string;
  env: NodeJS.ProcessEnv;
  log: Logger;
}

interface Slot {
  index: number;
  hostId: string;
  child: ChildProcess;
  draining: boolean;
}

/**
 * Host-worker processes on this machine, started and drained by the pool manager. On a cluster the
 * same role is played by Kubernetes (deploy/), whose scaler reads the same queue.
 */
export class LocalProcessDriver {
  private readonly slots = new Map<number, Slot>();

  constructor(private readonly opts: LocalDriverOptions) {}

  /** Workers serving, not counting those draining. */
  get serving(): number {
    return [...this.slots.values()].filter((s) => !s.draining).length;
  }

  hostIds(): string[] {
    return [...this.slots.values()].filter((s) => !s.draining).map((s) => s.hostId);
  }

  start(): void {
    let index = 0;
    while (this.slots.has(index)) index += 1;
    const hostId = `${this.opts.hostIdPrefix}-${index}`;
    fs.mkdirSync(this.opts.logDir, { recursive: true });
    const out = fs.openSync(path.join(this.opts.logDir, `${hostId}.log`), 'a');
    const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'dist', 'workers', 'main.js'), 'host'], {
      cwd: PROJECT_ROOT,
      env: { ...this.opts.env, AIRLOCK_HOST_ID: hostId },
      stdio: ['ignore', out, out],
    });
    fs.closeSync(out);
    const slot = { index, hostId, child, draining: false };
    this.slots.set(index, slot);
    child.once('exit', (code, signal) => {
      this.slots.delete(index);
      const level = slot.draining && code === 0 ? 'info' : 'warn';
      this.opts.log[level]({ hostId, code, signal }, slot.draining ? 'host worker drained' : 'host worker exited');
    });
    this.opts.log.info({ hostId, pid: child.pid }, 'host worker started');
  }

  /** Drains the newest worker: it takes no new sandboxes and exits once those it holds are done. */
  drainOne(): string | undefined {
    const newest = [...this.slots.values()].filter((s) => !s.draining).sort((a, b) => b.index - a.index)[0];
    if (!newest) return undefined;
    newest.draining = true;
    newest.child.kill('SIGTERM');
    this.opts.log.info({ hostId: newest.hostId }, 'draining host worker');
    return newest.hostId;
  }

  /** Drains every worker and waits for them all to exit. */
  async stopAll(): Promise<void> {
    const exits = [...this.slots.values()].map(
      (s) =>
        new Promise<void>((resolve) => (s.child.exitCode !== null ? resolve() : s.child.once('exit', () => resolve()))),
    );
    while (this.drainOne()) {
      // every serving worker is now draining
    }
    await Promise.all(exits);
  }
}
