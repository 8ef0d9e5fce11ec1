// What a sandbox workflow receives: plain types and checks, so its update validator can use them.
import type { SourceFile } from './schemas/common';
import type { SandboxInfo, StepResult } from './schemas/sandbox';
import type { ExecutionPlan } from './schemas/policy';
import type { LiveEvent } from './schemas/events';
import type { TemplateRef } from './schemas/template';
import { directoryProblem, relativePathProblem } from './relative-path';
import { BASE64_PATTERN, ID_PATTERN, ID_RULE, base64Bytes } from './rules';
import { STEP_KINDS } from './vocabulary';

export type StepRequest =
  | {
      kind: 'exec';
      /** A program in the sandbox's language, written to its source file and run. */
      code?: string;
      /** Or an argv (a shell command arrives as `/bin/sh -c …`). */
      argv?: string[];
      stdin?: string;
      timeoutMs?: number;
      env?: Record<string, string>;
    }
  | { kind: 'write_file'; path: string; contentBase64: string }
  | { kind: 'read_file'; path: string }
  /** `recursive`: a directory goes with everything in it, and a missing path is no error. */
  | { kind: 'delete_file'; path: string; recursive?: boolean }
  | { kind: 'list_files'; path: string }
  /** Makes the directory and its parents; an existing directory is `AlreadyExists`. */
  | { kind: 'make_dir'; path: string }
  /** Renames a file or directory, making the destination's parents. */
  | { kind: 'move_path'; path: string; destination: string };

/** One step as the API sends it: the step id is the client's idempotency key, or one the API chose. */
export interface StepEnvelope {
  stepId: string;
  request: StepRequest;
}

export interface SandboxInput {
  sandboxId: string;
  tenant: string;
  keyId: string;
  language: string;
  /** The runtime version the API resolved; absent in sandboxes from before versions, which mean the newest. */
  version?: string;
  /** The template the API resolved: its image, env and hash. */
  template?: TemplateRef;
  policy: string;
  idleTimeoutMs: number;
  maxLifetimeMs: number;
  /** The policy's ceiling on one step's wall-clock time. */
  maxStepTimeoutMs: number;
  maxFileBytes: number;
  /** The runtime's source file (`main.py`, `Main.java`): code steps are written to it. */
  sourceFile: string;
  createdAt: string;
  files: SourceFile[];
  env: Record<string, string>;
  /** The client's labels, kept in the sandbox's info. */
  metadata?: Record<string, string>;
  /** Steps one workflow run takes before it continues as new, bounding its history (Temporal may ask sooner). */
  stepsPerRun: number;
  /** Set when the workflow continues as new: what the next run takes over. */
  carried?: CarriedSandbox;
  /** Set when the tenant has in-flight quotas: the API took a lease for this sandbox. */
  lease?: { queued: false };
  /** The tenant's bound on steps waiting in the queue; unbounded when absent. */
  maxQueuedSteps?: number;
}

/** A live event with the step (or sandbox) it belongs to, as the workflow's log keeps it. */
export interface LoggedEvent {
  scope: string;
  event: LiveEvent;
}

export interface CarriedSandbox {
  info: SandboxInfo;
  /** The container's host and the queue its activities go to. */
  host: { hostId: string; taskQueue: string; containerId: string };
  /** The plan the sandbox was made under; absent only if it ended before it had one. */
  plan: ExecutionPlan | undefined;
  /** Finished steps whose results a retry may still ask for. */
  completed: StepResult[];
  nextEventId: number;
  /** The live events of the carried steps, so a client streaming one resumes in the new run. */
  events: LoggedEvent[];
  /** The workspace's files as the last exec step left them: a step's artifacts are what it changed. */
  files?: Array<{ name: string; sha256: string }>;
}

/** Why the workflow refuses a step before it enters history, or null. The API checks the same first. */
export function stepProblem({ stepId, request }: StepEnvelope, limits: { maxFileBytes: number }): string | null {
  if (typeof stepId !== 'string' || !ID_PATTERN.test(stepId)) return `stepId must be ${ID_RULE}`;
  switch (request?.kind) {
    case 'exec': {
      const hasCode = typeof request.code === 'string';
      const hasArgv = Array.isArray(request.argv) && request.argv.length > 0;
      if (hasCode === hasArgv) return 'exec needs exactly one of code or argv';
      if (hasArgv && !request.argv!.every((a) => typeof a === 'string')) return 'argv must be strings';
      if (request.timeoutMs !== undefined && !(request.timeoutMs > 0)) return 'timeoutMs must be positive';
      return null;
    }
    case 'write_file': {
      const bad = relativePathProblem(request.path);
      if (bad) return `path ${bad}`;
      if (typeof request.contentBase64 !== 'string' || !BASE64_PATTERN.test(request.contentBase64))
        return 'contentBase64 must be base64';
      if (base64Bytes(request.contentBase64) > limits.maxFileBytes)
        return `content must be at most ${limits.maxFileBytes} bytes`;
      return null;
    }
    case 'read_file':
    case 'delete_file':
    case 'make_dir': {
      const bad = relativePathProblem(request.path);
      return bad ? `path ${bad}` : null;
    }
    case 'move_path': {
      const bad = relativePathProblem(request.path);
      if (bad) return `path ${bad}`;
      const badDestination = relativePathProblem(request.destination);
      return badDestination ? `destination ${badDestination}` : null;
    }
    case 'list_files': {
      const bad = directoryProblem(request.path);
      return bad ? `path ${bad}` : null;
    }
    default:
      return `kind must be one of ${STEP_KINDS.join(', ')}`;
  }
}
