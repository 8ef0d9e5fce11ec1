/**
 * The gates' text scans (secrets, imports, the output gate) run here, off the worker's event loop:
 * in a pool of worker threads, each scan within a time budget. A scan that overruns it is stopped
 * (its thread terminated) and fails closed with a reason, so no input can hold up workflow tasks,
 * heartbeats or another tenant's scans for longer than the budget.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Piscina } from 'piscina';
import type { Finding } from '../lib/schemas/findings';
import type { OutputRules } from '../lib/schemas/policy';
import type { TextSource } from '../lib/scans/secrets';
import type { ImportCheck } from '../lib/scans/imports';
import type { ScannedOutput } from '../lib/scans/output-scan';
import { PROJECT_ROOT } from '../lib/node/paths';
import * as scans from './scan-worker';

/** The scans a thread runs: the exports of scan-worker.ts. */
type ScanName = keyof typeof scans;

export interface Scanner {
  secrets(sources: TextSource[]): Promise<Finding[]>;
  imports(check: ImportCheck): Promise<Finding[]>;
  output(path: string, text: string, rules: OutputRules): Promise<ScannedOutput>;
  close(): Promise<void>;
}

/** A scan stopped at its budget. */
export class ScanBudgetExceeded extends Error {
  constructor(
    readonly scan: string,
    readonly budgetMs: number,
  ) {
    super(`the ${scan} scan did not finish within its ${budgetMs} ms budget`);
    this.name = 'ScanBudgetExceeded';
  }
}

export interface ScanPoolOptions {
  /** Default: the machine's CPUs. */
  threads?: number;
  budgetMs?: number;
}

export const DEFAULT_SCAN_BUDGET_MS = 30_000;

/** The worker threads run compiled code: from source (the tests), the build's copy in dist/. */
function workerFile(): string {
  const sibling = path.join(__dirname, 'scan-worker.js');
  if (fs.existsSync(sibling)) return sibling;
  return path.join(PROJECT_ROOT, 'dist', 'activities', 'scan-worker.js');
}

export function createScanPool({
  threads = os.availableParallelism(),
  budgetMs = DEFAULT_SCAN_BUDGET_MS,
}: ScanPoolOptions = {}): Scanner {
  const pool = new Piscina({
    filename: workerFile(),
    minThreads: 1,
    maxThreads: Math.max(1, threads),
    idleTimeout: 60_000,
  });
  async function run<T>(name: ScanName, input: unknown): Promise<T> {
    try {
      return (await pool.run(input, { name, signal: AbortSignal.timeout(budgetMs) })) as T;
    } catch (err) {
      if ((err as Error).name === 'AbortError' || (err as Error).name === 'TimeoutError') {
        throw new ScanBudgetExceeded(name, budgetMs);
      }
      throw err;
    }
  }
  return {
    secrets: (sources) => run('secrets', { sources }),
    imports: (check) => run('imports', check),
    output: (file, text, rules) => run('output', { path: file, text, rules }),
    close: () => pool.destroy(),
  };
}

/** On the calling thread, with no budget: for tests and tools, never for a worker's activities. */
export const inlineScanner: Scanner = {
  secrets: async (sources) => scans.secrets({ sources }),
  imports: async (check) => scans.imports(check),
  output: async (file, text, rules) => scans.output({ path: file, text, rules }),
  close: async () => undefined,
};

let shared: Scanner | undefined;

/** The process's pool, made on first use. */
export function sharedScanner(): Scanner {
  shared ??= createScanPool({
    ...(process.env.AIRLOCK_SCAN_THREADS ? { threads: Number(process.env.AIRLOCK_SCAN_THREADS) } : {}),
    ...(process.env.AIRLOCK_SCAN_BUDGET_MS ? { budgetMs: Number(process.env.AIRLOCK_SCAN_BUDGET_MS) } : {}),
  });
  return shared;
}

/** Stops the process's pool, if it was made: at a worker's (or a test cluster's) shutdown. */
export async function closeSharedScanner(): Promise<void> {
  const pool = shared;
  shared = undefined;
  await pool?.close();
}
