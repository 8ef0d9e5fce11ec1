import os from 'node:os';

const MiB = 1024 * 1024;

/** What a host has to give sandboxes. */
export interface HostResources {
  cpus: number;
  memoryBytes: number;
}

/** This machine's, except what the operator set: in a pod the machine is the node, and the engine has its own limits. */
export function localResources(set: { cpus?: number | undefined; memoryMb?: number | undefined } = {}): HostResources {
  return {
    cpus: set.cpus || os.availableParallelism(),
    memoryBytes: set.memoryMb ? set.memoryMb * MiB : os.totalmem(),
  };
}

/**
 * What this host may promise its sandboxes at once: its memory less the reserve (never more), and
 * its CPUs `cpuOvercommit` times over (they are shared by time; a container's own quota caps each).
 */
export function admissionCapacity({ cpus, memoryBytes }: HostResources, cpuOvercommit: number) {
  return { memoryMb: Math.floor((memoryBytes * (1 - RESERVED_FRACTION)) / MiB), cpus: cpus * cpuOvercommit };
}

export interface HostCapacity {
  /** Provisions at once: each keeps the engine busy on a CPU for a few hundred ms. */
  provisionSlots: number;
  /** Stage activities at once on the host's own queue, each holding one running sandbox. */
  sandboxSlots: number;
  /** Warm-pool bounds the operator did not set. */
  poolMaxIdle: number;
  poolMaxTotalIdle: number;
  poolRefillConcurrency: number;
}

/** Memory kept back for the engine, the worker and the page cache the images are read from. */
const RESERVED_FRACTION = 0.25;

/**
 * Slot counts from the host's CPUs and memory: provisioning is bound by the engine's CPU, running
 * sandboxes by memory (at the default policy's limit each; stricter ones fit more).
 */
export function hostCapacity({ cpus, memoryBytes }: HostResources, sandboxMemoryMb: number): HostCapacity {
  const bySize = Math.floor((memoryBytes * (1 - RESERVED_FRACTION)) / (sandboxMemoryMb * MiB));
  const poolMaxIdle = Math.max(2, cpus * 4);
  return {
    provisionSlots: Math.max(2, cpus * 4),
    sandboxSlots: Math.max(cpus, Math.min(bySize, cpus * 32)),
    poolMaxIdle,
    poolMaxTotalIdle: poolMaxIdle * 2,
    poolRefillConcurrency: Math.max(1, cpus),
  };
}
