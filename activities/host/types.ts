import type Docker from 'dockerode';
import type { SourceFile } from '../../lib/schemas/common';
import type { Limits } from '../../lib/schemas/limits';
import type { Digest, ImageRef, ProcessResult, TestReport } from '../../lib/schemas/execution-result';
import type { ArtifactScan } from './artifacts';
import type { TestCase } from '../../lib/schemas/execution-request';
import type { OutputRules, SandboxSettings, TestPlan } from '../../lib/schemas/policy';
import type { LoadedSeccompProfile } from '../../lib/node/seccomp';
import type { LiveOutputSink } from '../supervisor/live-output';
import type { WarmPool } from '../containers/warm-pool';
import type { HostLedger } from './host-ledger';
import type { OutputStore } from '../../lib/node/output-store';
import type { Scanner } from '../scanner';
import type { SupervisedSandboxes } from '../supervisor/sandboxes';
import type { HostAdmission } from '../capacity/admission';

export interface HostActivityDeps {
  docker: Docker;
  hostId: string;
  cluster: string;
  seccompProfiles: Map<string, LoadedSeccompProfile>;
  /** The supervisor binary on this host, as its engine sees it (installSupervisor). */
  supervisor: string;
  /** The channels to this host's sandboxes' supervisors. */
  sandboxes: SupervisedSandboxes;
  /** OCI runtimes the engine offers (`docker info`). */
  runtimes: Set<string>;
  /** Sends output to the workflow while a process runs; without it output arrives only with results. */
  liveOutput?: LiveOutputSink;
  /** Keeps a retried stage from running user code twice. */
  hostLedger: HostLedger;
  /** Containers made ahead of demand; without it every container is made on demand. */
  pool?: WarmPool;
  /**
   * Where an execution's stage outputs longer than `previewBytes` go, so its result (and history)
   * carries only their first bytes and a reference; without it every output stays whole in the result.
   */
  outputs?: { store: OutputStore; previewBytes: number };
  /** Where the output gate's scans run; default the process's pool of scan threads. */
  scanner?: Scanner;
  /** Room this host has promised its sandboxes; without it, every provision is admitted. */
  admission?: HostAdmission;
}

/** What decides how a container is made (and so which warm pool serves it). */
export type ProfileInput = Pick<ProvisionInput, 'image' | 'limits' | 'container' | 'sandbox'>;

export interface ProvisionInput {
  executionId: string;
  image: string;
  /** The run stage's limits; tmpfs sizes follow its memory. */
  limits: Limits;
  /** What the container as a whole gets, when a compile stage needs more memory or CPU time than the run. */
  container: { memoryMb: number; cpuTimeMs: number };
  sandbox: SandboxSettings;
  /** Epoch ms after which the reaper may remove the container whatever the execution says. */
  deadlineAt: number;
  files: SourceFile[];
}

export interface ProvisionedSandbox {
  hostId: string;
  /** Every later container activity of this execution goes here. */
  taskQueue: string;
  containerId: string;
  image: ImageRef;
  /** Claimed from the warm pool rather than made on demand (absent in results from before pools). */
  warm?: boolean;
  /** The files written, by path with their sha256: unchanged ones are not artifacts (absent before). */
  submitted?: Digest[];
}

export interface ExecInput {
  executionId: string;
  argv: string[];
  stdin?: string;
  env: Record<string, string>;
  timeoutMs: number;
  /** This stage's CPU-time limit, applied per process inside the container's own. */
  cpuTimeMs: number;
  outputBytes: number;
  /** The output gate: applied to stdout and stderr before they leave the host. */
  outputRules?: OutputRules;
  /** Send output to the workflow (whose id is `executionId`) while the process runs. */
  live?: { scope: string; stage: string };
  /**
   * The run stage's expected output: the host compares the whole stdout with it before a long one is
   * cut to its preview, and records the answer as `expectedStdoutMatched`.
   */
  expected?: { stdout: string; normalizeTrailingWhitespace: boolean };
  /**
   * Files the supervisor's launcher writes into the workspace (each whole, replacing what is there)
   * just before the program starts: a sandbox step's code rides with the message that runs it.
   */
  files?: SourceFile[];
}

export interface CompileInput extends ExecInput {
  /** The memory limit the container drops to once the compiler is done. */
  runMemoryMb: number;
}

export interface CasesInput extends Omit<ExecInput, 'stdin' | 'files'> {
  cases: TestCase[];
  normalizeTrailingWhitespace: boolean;
}

export interface TestsInput extends Omit<ExecInput, 'stdin' | 'files'> {
  report: TestPlan['report'];
}

export interface TestsOutput {
  process: ProcessResult;
  report: TestReport;
}

/** The run stage, with the workspace's manifest taken in the same activity once the program is gone. */
export interface RunInput extends ExecInput {
  collect?: Omit<CollectArtifactsInput, 'executionId'>;
}

export interface RunOutput {
  process: ProcessResult;
  /** Null when not asked for. */
  artifacts: ArtifactScan | null;
}

export interface CollectArtifactsInput {
  executionId: string;
  /** Submitted files and their sha256: unchanged ones are not artifacts. */
  submitted: Array<{ name: string; sha256: string }>;
  outputRules: OutputRules;
}

export interface TeardownResult {
  /** False when the container was already gone. */
  removed: boolean;
}
