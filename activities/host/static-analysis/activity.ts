import { ApplicationFailure, log } from '@temporalio/activity';
import type { SourceFile } from '../../../lib/schemas/common';
import type { GateResult } from '../../../lib/schemas/findings';
import type { GatePlan, SandboxSettings } from '../../../lib/schemas/policy';
import type { Limits } from '../../../lib/schemas/limits';
import type { ProcessResult } from '../../../lib/schemas/execution-result';
import { containerNameFor, imageTagFor } from '../../../lib/containers';
import { ErrorType } from '../../../lib/errors';
import { verdictFor } from '../../../lib/scans/verdict';
import { sandboxContainerSpec } from '../../containers/container-spec';
import { LaunchFailed, superviseCapture } from '../../supervisor/process';
import { openSupervised, type SupervisedSandbox } from '../../supervisor/sandboxes';
import { packFiles } from '../workspace-files';
import { withHeartbeat } from '../heartbeat';
import { removeQuietly } from '../../containers/docker-errors';
import type { HostActivityDeps } from '../types';
import { ANALYZERS, ANALYZER_RAN, type Analyzer } from './parsers';
import { filesToAnalyze } from './files';

export interface StaticAnalysisInput {
  executionId: string;
  language: string;
  files: SourceFile[];
  /** Analyzed whatever its name; absent in histories from before it was passed. */
  entrypoint?: string | null;
  gate: GatePlan['staticAnalysis'];
  /** The execution's sandbox settings: the scanner is hardened exactly like the sandbox. */
  sandbox: SandboxSettings;
  /** Epoch ms after which the reaper may remove the scanner. */
  deadlineAt: number;
}

const SCANNER_LIMITS: Limits = {
  timeoutMs: 120_000,
  cpuTimeMs: 120_000,
  memoryMb: 1024,
  cpus: 1,
  pids: 128,
  openFiles: 1024,
  fileSizeMb: 64,
  outputBytes: 8 * 1024 * 1024,
  testTimeoutMs: 120_000,
};

/**
 * The static-analysis gate: the language's analyzer runs in a scanner container built like a
 * sandbox (no network, no capabilities, read-only root), because what it parses is untrusted. It
 * reads every file of the language (files.ts) with every suppression off (images/scanner). The gate
 * fails closed, `block` with the reason, when the files did not all reach the scanner, or the
 * analyzer failed, ran out of time, skipped a file, or printed something unreadable.
 */
export function createStaticAnalysisActivity({
  docker,
  hostId,
  cluster,
  seccompProfiles,
  supervisor,
}: HostActivityDeps) {
  const versions = new Map<string, string>();

  async function runStaticAnalysis(input: StaticAnalysisInput): Promise<GateResult> {
    const analyzer = ANALYZERS[input.language];
    const base = { gate: 'static-analysis' as const, error: null, note: null };
    if (!analyzer) {
      return { ...base, verdict: 'pass', findings: [], tools: [], note: `no static analyzer for ${input.language}` };
    }
    const targets = filesToAnalyze(input.language, input.files, input.entrypoint);
    if (targets.length === 0) {
      return { ...base, verdict: 'pass', findings: [], tools: [], note: `no ${input.language} files to analyze` };
    }
    const profile = seccompProfiles.get(input.sandbox.seccompProfile.name);
    if (!profile || profile.sha256 !== input.sandbox.seccompProfile.sha256) {
      throw ApplicationFailure.nonRetryable(
        `seccomp profile mismatch on host ${hostId}`,
        ErrorType.SeccompProfileMismatch,
      );
    }
    const name = `${containerNameFor(input.executionId)}-scan`;
    return withHeartbeat(async (signal) => {
      await removeQuietly(docker, name);
      let sandbox: SupervisedSandbox | undefined;
      try {
        const image = await docker.getImage(imageTagFor('scanner')).inspect();
        const container = await docker.createContainer(
          sandboxContainerSpec({
            name,
            image: image.Id,
            limits: SCANNER_LIMITS,
            container: { memoryMb: SCANNER_LIMITS.memoryMb, cpuTimeMs: SCANNER_LIMITS.cpuTimeMs },
            runtime: input.sandbox.runtime,
            seccompJson: profile.json,
            supervisor,
            labels: { cluster, executionId: input.executionId, hostId, deadlineAt: input.deadlineAt },
          }),
        );
        await container.start();
        const scanner = (sandbox = await openSupervised(container));
        // Each step one message to the scanner container's supervisor.
        const inScanner = async (step: { argv: string[]; files?: Buffer }) =>
          (
            await superviseCapture(scanner, {
              timeoutMs: SCANNER_LIMITS.timeoutMs,
              outputBytes: SCANNER_LIMITS.outputBytes,
              signal,
              ...step,
            })
          ).result;
        // The launcher tells a workspace it could not write whole on its own pipe.
        const extracted = await inScanner({ argv: [], files: await packFiles(input.files) }).catch((err: unknown) => {
          if (err instanceof LaunchFailed) return { exitCode: 125, stderr: err.message };
          throw err;
        });
        if (!versions.has(image.Id)) {
          const out = await inScanner({ argv: ['airlock-scan', 'versions'] });
          versions.set(image.Id, out.stdout);
        }
        const version = new RegExp(`^${analyzer.tool} (\\S+)$`, 'm').exec(versions.get(image.Id) ?? '')?.[1] ?? null;
        const tools = [{ name: analyzer.tool, version }];
        const closed = (error: string): GateResult => ({ ...base, verdict: 'block', findings: [], tools, error });
        if (extracted.exitCode !== 0) {
          return closed(
            `the files did not all reach the scanner (exit ${extracted.exitCode}): ${extracted.stderr.slice(0, 500)}`,
          );
        }
        const scan = await inScanner({ argv: ['airlock-scan', input.language, ...targets] });
        return judge({ scan, analyzer, targets, gate: input.gate, base: { ...base, tools }, closed });
      } finally {
        sandbox?.channel.close();
        await removeQuietly(docker, name);
      }
    });
  }

  return { runStaticAnalysis };
}

interface JudgeInput {
  scan: ProcessResult;
  analyzer: Analyzer;
  targets: string[];
  gate: GatePlan['staticAnalysis'];
  base: Omit<GateResult, 'verdict' | 'findings'>;
  closed: (error: string) => GateResult;
}

/** The analyzer's run as a verdict, closed unless it ran to the end over every file and said so readably. */
function judge({ scan, analyzer, targets, gate, base, closed }: JudgeInput): GateResult {
  const { tool } = analyzer;
  if (scan.limitExceeded !== null || scan.stdoutTruncated) {
    return closed(`${tool} did not finish (${scan.limitExceeded ?? 'output truncated'})`);
  }
  if (scan.exitCode === null || !ANALYZER_RAN.has(scan.exitCode)) {
    return closed(`${tool} failed (exit ${scan.exitCode ?? scan.signal}): ${scan.stderr.slice(0, 500)}`);
  }
  try {
    const findings = analyzer.parse(scan.stdout);
    const problems = analyzer.problems(scan.stdout, targets);
    if (problems.length > 0) return { ...closed(problems.slice(0, 5).join('; ')), findings };
    return { ...base, verdict: verdictFor(findings, gate), findings };
  } catch (err) {
    log.warn('analyzer output unreadable', { tool, stderr: scan.stderr.slice(0, 2000) });
    return closed(
      `${tool} output could not be read (exit ${scan.exitCode}): ${(err as Error).message}; ${scan.stderr.slice(0, 500)}`,
    );
  }
}
