import fs from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { ErrorType } from '../../lib/errors';
import { abandonedByServer, withHeartbeat } from './heartbeat';

/** Which attempt of which activity is asking: the key is stable across its retries. */
export interface StageAttempt {
  workflowId: string;
  runId: string;
  activityId: string;
  attempt: number;
}

/** The running activity's attempt. */
export function currentAttempt(): StageAttempt {
  const { workflowExecution, activityId, attempt } = Context.current().info;
  // Absent only for an activity started outside a workflow, which Airlock never does.
  if (!workflowExecution) throw new Error(`activity ${activityId} has no workflow to key its stage by`);
  return { workflowId: workflowExecution.workflowId, runId: workflowExecution.runId, activityId, attempt };
}

/** Names each supervised process of a stage, the same way on every attempt: `<stage>#<n>`. */
export type ProcessKeys = () => string;

/**
 * The activity under way, heartbeating, run at most once however often it is retried. A
 * `resumable` stage whose host restarted under it runs again, but only through keyed requests to
 * the sandbox's supervisor, which follows the run it has (or refuses one it no longer keeps)
 * rather than start the program twice.
 */
export function runOnce<T>(
  ledger: HostLedger,
  run: (signal: AbortSignal, keys: ProcessKeys) => Promise<T>,
  options: { resumable?: boolean } = {},
): Promise<T> {
  const at = currentAttempt();
  let n = 0;
  const keys: ProcessKeys = () => `${at.workflowId}/${at.runId}/${at.activityId}#${n++}`;
  return withHeartbeat((signal) => ledger.once(at, signal, (s) => run(s, keys), options));
}

interface Entry {
  result: Promise<unknown>;
  controller: AbortController;
}

/** Beside the stage marks, which are named `<runId>.<activityId>`. */
const DEADLINE_FILE = 'deadline';

/** How long a finished stage's result waits here for a retry whose first attempt's completion was lost. */
const KEEP_FINISHED_MS = 15 * 60_000;

/**
 * What a host keeps on its own disk about the executions it serves.
 *
 * Stages that run user code (or change the sandbox) run at most once per activity, whatever the
 * retries. A retry that finds its first attempt here, running or finished, gets that attempt's
 * result; one that finds only the mark on disk (this worker restarted under it) fails rather than
 * run the program twice; one that finds nothing runs, since no earlier attempt reached this host.
 *
 * A container claimed from the warm pool keeps the pool's labels (labels cannot change), so its
 * reaper deadline is kept here instead.
 */
export class HostLedger {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly dir: string,
    private readonly keepFinishedMs = KEEP_FINISHED_MS,
  ) {}

  once<T>(
    at: StageAttempt,
    signal: AbortSignal,
    run: (signal: AbortSignal) => Promise<T>,
    { resumable = false }: { resumable?: boolean } = {},
  ): Promise<T> {
    const key = `${at.workflowId}\0${at.runId}\0${at.activityId}`;
    // Registered before any await: two attempts arriving together still share one run.
    const entry = this.entries.get(key) ?? this.start(key, at, run, resumable);
    follow(signal, entry.controller);
    return entry.result as Promise<T>;
  }

  private start<T>(key: string, at: StageAttempt, run: (signal: AbortSignal) => Promise<T>, resumable: boolean): Entry {
    const controller = new AbortController();
    const mark = this.markPath(at);
    const result = (async () => {
      // A resumable stage asks its supervisor, which knows what ran: no mark to write or read.
      if (!resumable) {
        if (at.attempt > 1 && (await exists(mark))) {
          throw ApplicationFailure.nonRetryable(
            'the host restarted while this stage ran; it may have run, so it is not run again',
            ErrorType.StageInterrupted,
          );
        }
        await fs.mkdir(path.dirname(mark), { recursive: true });
        await fs.writeFile(mark, `${at.attempt}\n`);
      }
      return run(controller.signal);
    })();
    const entry = { result, controller };
    this.entries.set(key, entry);
    const forget = () => setTimeout(() => this.entries.delete(key), this.keepFinishedMs).unref();
    result.then(forget, forget);
    return entry;
  }

  /** When the reaper may remove a pool container this execution claimed, whatever the execution says. */
  async recordDeadline(executionId: string, deadlineAt: number): Promise<void> {
    await fs.mkdir(this.workflowDir(executionId), { recursive: true });
    await fs.writeFile(path.join(this.workflowDir(executionId), DEADLINE_FILE), `${deadlineAt}\n`);
  }

  async deadlineOf(executionId: string): Promise<number | undefined> {
    const text = await fs.readFile(path.join(this.workflowDir(executionId), DEADLINE_FILE), 'utf8').catch(() => '');
    const deadline = Number(text.trim());
    return text && Number.isFinite(deadline) ? deadline : undefined;
  }

  /** The execution is over (its container removed): nothing of it can be retried any more. */
  async forget(workflowId: string): Promise<void> {
    for (const key of this.entries.keys()) if (key.startsWith(`${workflowId}\0`)) this.entries.delete(key);
    await fs.rm(this.workflowDir(workflowId), { recursive: true, force: true });
  }

  /** Marks of executions whose teardown never reached this host (it was lost meanwhile). */
  async prune(olderThanMs: number, now = Date.now()): Promise<number> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    let pruned = 0;
    for (const name of names) {
      const dir = path.join(this.dir, name);
      const stat = await fs.stat(dir).catch(() => undefined);
      if (stat && now - stat.mtimeMs > olderThanMs) {
        await fs.rm(dir, { recursive: true, force: true });
        pruned++;
      }
    }
    return pruned;
  }

  private workflowDir(workflowId: string): string {
    return path.join(this.dir, encodeURIComponent(workflowId));
  }

  private markPath(at: StageAttempt): string {
    return path.join(this.workflowDir(at.workflowId), `${encodeURIComponent(at.runId)}.${at.activityId}`);
  }
}

/** Cancellation (or the worker stopping) stops the stage; an attempt the server abandoned does not. */
function follow(signal: AbortSignal, controller: AbortController): void {
  const onAbort = () => {
    if (!abandonedByServer(signal)) controller.abort(signal.reason);
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}
