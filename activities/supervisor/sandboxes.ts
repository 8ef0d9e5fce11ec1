import type Docker from 'dockerode';
import { ContainerCgroup } from './cgroup-metrics';
import { containerCpuSeconds } from './stage-limits';
import { SupervisorChannel } from './channel';

/** A running sandbox this host holds a channel to, with what the host can see of it itself. */
export interface SupervisedSandbox {
  container: Docker.Container;
  channel: SupervisorChannel;
  initPid: number;
  cgroup: ContainerCgroup | null;
  /** The container's RLIMIT_CPU soft limit. */
  cpuSeconds: number | undefined;
}

/** Why a container has no supervisor to talk to. */
export class SandboxGone extends Error {
  constructor(readonly status: string) {
    super(`the sandbox is ${status}`);
  }
}

/** Inspects a started container (once: its init's pid and cgroup do not change) and attaches to its supervisor. */
export async function openSupervised(container: Docker.Container): Promise<SupervisedSandbox> {
  const state = await container.inspect().catch(() => undefined);
  if (!state?.State.Running) throw new SandboxGone(state ? state.State.Status : 'gone');
  const channel = await SupervisorChannel.open(container);
  return {
    container,
    channel,
    initPid: state.State.Pid,
    cgroup: ContainerCgroup.forPid(state.State.Pid),
    cpuSeconds: containerCpuSeconds(state.HostConfig.Ulimits),
  };
}

/**
 * The channels of this host's sandboxes, by container name. A channel is opened when the container
 * is made or claimed, and again by the first stage that finds none (this worker restarted).
 */
export class SupervisedSandboxes {
  private readonly held = new Map<string, Promise<SupervisedSandbox>>();

  constructor(private readonly docker: Docker) {}

  get(name: string): Promise<SupervisedSandbox> {
    const known = this.held.get(name);
    if (!known) return this.open(name);
    return known.then(
      (sandbox) => (sandbox.channel.closed ? this.open(name) : sandbox),
      () => this.open(name),
    );
  }

  adopt(name: string, sandbox: SupervisedSandbox): void {
    this.held.set(name, Promise.resolve(sandbox));
    sandbox.channel.onClose(() => this.dropIf(name, sandbox));
  }

  /** The container is gone or going: its channel is closed and forgotten. */
  forget(name: string): void {
    const known = this.held.get(name);
    this.held.delete(name);
    void known?.then(
      (sandbox) => sandbox.channel.close(),
      () => undefined,
    );
  }

  get size(): number {
    return this.held.size;
  }

  /**
   * Opens the channels of running sandboxes this process does not hold yet (a restarted worker's),
   * one at a time; the number opened. One that stopped meanwhile is left to its next stage.
   */
  async reattach(names: string[]): Promise<number> {
    let opened = 0;
    for (const name of names) {
      if (this.held.has(name)) continue;
      opened += await this.open(name).then(
        () => 1,
        () => 0,
      );
    }
    return opened;
  }

  private open(name: string): Promise<SupervisedSandbox> {
    const opening = openSupervised(this.docker.getContainer(name));
    this.held.set(name, opening);
    opening.then(
      (sandbox) => sandbox.channel.onClose(() => this.dropIf(name, sandbox)),
      () => {
        if (this.held.get(name) === opening) this.held.delete(name);
      },
    );
    return opening;
  }

  private dropIf(name: string, sandbox: SupervisedSandbox): void {
    void this.held.get(name)?.then((current) => {
      if (current === sandbox) this.held.delete(name);
    });
  }
}
