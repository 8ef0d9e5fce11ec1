/**
 * envd's calls on commands already started: list them, signal one, reattach to one. A command is a
 * step; its pid is derived from the step id, so a pid is found among the sandbox's steps.
 */
import type { StepEnvelope } from '../../lib/sandbox-input';
import { ConnectError, type ConnectStream } from './connect';
import { configOf, pidOf, relay } from './process';
import type { SandboxCall } from './steps';

const SIGNALS: Record<string, 'kill'> = { SIGNAL_SIGKILL: 'kill', SIGNAL_SIGTERM: 'kill', '9': 'kill', '15': 'kill' };

/** `Process/List`: the commands running or waiting their turn, oldest first. */
export async function listProcesses(call: SandboxCall): Promise<{ processes: Array<Record<string, unknown>> }> {
  const processes = (await liveCommands(call)).map((step) => ({
    config: configOf(step.request.kind === 'exec' ? (step.request.argv ?? []) : [], envsOf(step)),
    pid: pidOf(step.stepId),
  }));
  return { processes };
}

/** `Process/SendSignal`: SIGKILL or SIGTERM cancels the step; its process is killed. */
export async function signalProcess(call: SandboxCall, message: Record<string, unknown>): Promise<object> {
  const signal = String(message.signal ?? '');
  if (!SIGNALS[signal]) {
    throw new ConnectError('invalid_argument', `signal must be SIGNAL_SIGKILL or SIGNAL_SIGTERM, not "${signal}"`);
  }
  const pid = selectedPid(message);
  const step = (await liveCommands(call)).find((s) => pidOf(s.stepId) === pid);
  // Not running any more (or never): the SDK's kill() answers false.
  if (!step || !(await call.sandboxes.cancelStep(call.sandboxId, call.tenant, step.stepId))) {
    throw new ConnectError('not_found', `process with pid ${pid} not found`);
  }
  return {};
}

/** `Process/Connect`: the command's output from its start, then its end; a finished one replays. */
export async function connectProcess(
  call: SandboxCall,
  message: Record<string, unknown>,
  stream: ConnectStream,
): Promise<void> {
  const pid = selectedPid(message);
  const live = (await liveCommands(call)).find((s) => pidOf(s.stepId) === pid)?.stepId;
  const stepId = live ?? (await recentCommand(call, pid));
  if (!stepId) throw new ConnectError('not_found', `process with pid ${pid} not found`);
  const { pages, finished } = await call.sandboxes.followStep(call.sandboxId, call.tenant, stepId);
  stream.open();
  stream.send({ event: { start: { pid } } });
  await relay(pages, finished, stream);
}

function selectedPid(message: Record<string, unknown>): number {
  const selector = (message.process ?? {}) as Record<string, unknown>;
  if (selector.tag !== undefined) throw new ConnectError('not_found', 'Airlock commands have no tags');
  const pid = Number(selector.pid);
  if (!Number.isInteger(pid) || pid <= 0) throw new ConnectError('invalid_argument', 'process.pid is required');
  return pid;
}

async function liveCommands(call: SandboxCall): Promise<StepEnvelope[]> {
  const steps = await call.sandboxes.steps(call.sandboxId, call.tenant);
  if (!steps) throw new ConnectError('not_found', `sandbox ${call.sandboxId} not found`);
  return [...(steps.running ? [steps.running] : []), ...steps.queued].filter((s) => s.request.kind === 'exec');
}

/** A command that has finished, among the sandbox's recent steps. */
async function recentCommand(call: SandboxCall, pid: number): Promise<string | undefined> {
  const info = await call.sandboxes.get(call.sandboxId, call.tenant);
  return info?.recentSteps.find((s) => s.kind === 'exec' && pidOf(s.stepId) === pid)?.stepId;
}

function envsOf(step: StepEnvelope): Record<string, string> {
  return step.request.kind === 'exec' ? (step.request.env ?? {}) : {};
}
