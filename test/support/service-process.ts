import fs from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { waitForExit } from './temporal-server';

/** A service started from dist/ in its own process, as it runs in production, with its log file. */
export abstract class ServiceProcess {
  protected constructor(
    readonly child: ChildProcess,
    readonly logFile: string,
  ) {}

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGKILL: the process gets no chance to clean up, as when a machine dies. */
  async kill(): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGKILL');
    await waitForExit(this.child.pid!, 10_000);
  }

  /** SIGTERM: a graceful shutdown (a host worker drains); SIGKILL if it takes over 20 s. */
  async stop(): Promise<void> {
    if (!this.alive) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }

  logText(): string {
    return fs.existsSync(this.logFile) ? fs.readFileSync(this.logFile, 'utf8') : '';
  }
}
