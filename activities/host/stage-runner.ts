import { ApplicationFailure, log } from '@temporalio/activity';
import type { ProcessResult } from '../../lib/schemas/execution-result';
import type { OutputRules } from '../../lib/schemas/policy';
import { containerNameFor } from '../../lib/containers';
import { ErrorType } from '../../lib/errors';
import { judgeRun } from '../../lib/judge';
import { EXECUTION_ID_PATTERN, SANDBOX_ID_PATTERN } from '../../lib/node/execution-ids';
import { storeLongOutputs } from '../../lib/node/output-store';
import { LaunchFailed, superviseCapture } from '../supervisor/process';
import { SandboxGone, type SupervisedSandbox } from '../supervisor/sandboxes';
import { killStrayProcesses } from '../supervisor/stray-processes';
import { sharedScanner, type Scanner } from '../scanner';
import { type ArtifactScan, scanArtifactArchive } from './artifacts';
import { returnArtifacts } from './artifact-types';
import { runOnce, type ProcessKeys } from './host-ledger';
import { gatedText, gateOutput } from './output-gate';
import { launchWriteFailure } from './write-failure';
import { packFiles } from './workspace-files';
import type { CollectArtifactsInput, ExecInput, HostActivityDeps } from './types';

/** The most of a workspace read back for the artifact manifest. */
const ARTIFACT_READ_LIMIT = 16 * 1024 * 1024;

/** One process of a stage: its key names it to the supervisor, the same on every attempt. */
export type StageRun = Omit<ExecInput, 'files'> & { signal: AbortSignal; key: string; files?: Buffer };

/** What every stage does: open its sandbox, run a process there once, gate and store the output. */
export class StageRunner {
  private readonly scanner: Scanner;

  constructor(private readonly deps: HostActivityDeps) {
    this.scanner = deps.scanner ?? sharedScanner();
  }

  /**
   * User code runs at most once per stage, whatever the retries; a host restart resumes the stage
   * through its keyed supervisor requests.
   */
  once<T>(run: (signal: AbortSignal, keys: ProcessKeys) => Promise<T>): Promise<T> {
    return runOnce(this.deps.hostLedger, run, { resumable: true });
  }

  gate(result: ProcessResult, name: string, rules: OutputRules | undefined): Promise<ProcessResult> {
    return gateOutput(this.scanner, result, name, rules);
  }

  gateText(name: string, text: string, rules: OutputRules): Promise<string> {
    return gatedText(this.scanner, name, text, rules);
  }

  /** Sandbox steps have no route that serves a stored output, so theirs stay whole in their results. */
  storesOutputs(executionId: string): boolean {
    const { outputs } = this.deps;
    return outputs !== undefined && outputs.previewBytes > 0 && EXECUTION_ID_PATTERN.test(executionId);
  }

  /** Long streams into the store, the result keeping their previews (see storeLongOutputs). */
  withStoredOutputs(result: ProcessResult, inlineBytes?: number): Promise<ProcessResult> {
    const outputs = this.deps.outputs!;
    return storeLongOutputs(result, outputs.store, outputs.previewBytes, {
      ...(inlineBytes === undefined ? {} : { inlineBytes }),
      onStoreFailed: (stream, err) =>
        log.warn('storing an output failed; the result keeps what it can', { stream, error: String(err) }),
    });
  }

  /** The result of a stage's main process: judged if the workflow asked, then its long outputs stored. */
  async finishProcess(input: ExecInput, gated: ProcessResult): Promise<ProcessResult> {
    const judged = input.expected
      ? {
          ...gated,
          expectedStdoutMatched: judgeRun(gated, input.expected.stdout, input.expected.normalizeTrailingWhitespace)
            .matched,
        }
      : gated;
    return this.storesOutputs(input.executionId) ? this.withStoredOutputs(judged) : judged;
  }

  /** The sandbox's supervisor, over the channel this host holds (or opens again after a restart). */
  async openSandbox(executionId: string): Promise<SupervisedSandbox> {
    const name = containerNameFor(executionId);
    try {
      return await this.deps.sandboxes.get(name);
    } catch (err) {
      if (err instanceof SandboxGone) {
        throw ApplicationFailure.nonRetryable(`sandbox ${name} is ${err.status}`, ErrorType.ContainerGone);
      }
      throw err;
    }
  }

  /**
   * One process in the sandbox, one message to its supervisor, which kills whatever the process
   * leaves running. Should the supervisor not stop it at a limit, the host freezes the container
   * and kills the stage's processes itself (or, without a view of the cgroup, the container).
   */
  async runInSandbox(sandbox: SupervisedSandbox, run: StageRun): Promise<ProcessResult> {
    const { container, cgroup, initPid } = sandbox;
    const { liveOutput } = this.deps;
    const { live, ...rest } = run;
    const { result } = await superviseCapture(sandbox, {
      ...rest,
      ...(live && liveOutput
        ? { live: { ...live, sink: liveOutput, workflowId: run.executionId, rules: run.outputRules } }
        : {}),
      ...(cgroup ? { terminate: () => killStrayProcesses(container, initPid, cgroup).then(() => undefined) } : {}),
    });
    return result;
  }

  /**
   * A stage's main process, the core of compile and run for executions and sandbox steps alike:
   * the input's files written by the launcher, the program, its output gated, the result finished.
   */
  async stageProcess(
    sandbox: SupervisedSandbox,
    { files, ...input }: ExecInput,
    { name, signal, key }: { name: string; signal: AbortSignal; key: string },
  ): Promise<ProcessResult> {
    const packed = files && files.length > 0 ? await packFiles(files) : undefined;
    const run = await this.runInSandbox(sandbox, { ...input, ...(packed ? { files: packed } : {}), signal, key }).catch(
      (err: unknown) => {
        if (!(err instanceof LaunchFailed) || !files) throw err;
        const { type, message } = launchWriteFailure(err.message, files.map((f) => f.path).join(', '));
        throw ApplicationFailure.nonRetryable(message, type);
      },
    );
    return this.finishProcess(input, await this.gate(run, name, input.outputRules));
  }

  /**
   * The files the program wrote: a hash manifest, with small ones and typed ones scanned by the
   * output gate, and the typed ones it passed returned (artifact-types.ts). `blocked`: the run's own
   * output was blocked, so none of them goes out.
   */
  async manifest(
    sandbox: SupervisedSandbox,
    { executionId, submitted, outputRules }: CollectArtifactsInput,
    blocked = false,
  ): Promise<ArtifactScan> {
    // The supervisor packs it as the sandbox user, once every process of the program is gone.
    const packed = await sandbox.channel.pack(ARTIFACT_READ_LIMIT);
    const { candidates, ...scan } = await scanArtifactArchive(
      packed.tar,
      !packed.truncated && packed.exitCode === 0,
      new Map(submitted.map((d) => [d.name, d.sha256])),
      outputRules,
      this.scanner,
    );
    // A sandbox's steps return artifacts too: they are stored whatever the stage-output settings.
    const store =
      this.storesOutputs(executionId) || SANDBOX_ID_PATTERN.test(executionId) ? this.deps.outputs?.store : undefined;
    const typed = await returnArtifacts(candidates, { blocked: blocked || scan.blocked, store });
    return { ...scan, typed };
  }
}
