import crypto from 'node:crypto';
import type Docker from 'dockerode';
import type { Limits } from '../../lib/schemas/limits';
import { LABELS, SUPERVISOR_PATH, WORKSPACE, tmpfsSizes } from '../../lib/containers';
export { tmpfsSizes };

const MiB = 1024 * 1024;

/** The Engine API has `CgroupnsMode` (API 1.41+); the published typings do not yet. */
type SandboxHostConfig = Docker.HostConfig & { CgroupnsMode: 'private' | 'host' };

/** Everything a container is made with except who it is for: a warm pool keeps containers per profile. */
export interface ContainerProfile {
  /** The image id, not a tag: a rebuilt image is a different profile. */
  image: string;
  /** The run stage's limits. */
  limits: Limits;
  /** Memory and CPU time for the container as a whole (a compile stage may need more than the run). */
  container: { memoryMb: number; cpuTimeMs: number };
  /** OCI runtime (`runc`, `runsc`). */
  runtime: string;
  /** The seccomp profile's JSON text: the engine takes the content, not a path. */
  seccompJson: string;
  /** The supervisor binary on the engine's host, mounted read-only (content-addressed by its name). */
  supervisor: string;
}

/** A container made for an execution, or ahead of one for a warm pool. */
export type ContainerOwner =
  | { cluster: string; hostId: string; executionId: string; deadlineAt: number }
  | { cluster: string; hostId: string; poolKey: string };

export interface ContainerSpecInput extends ContainerProfile {
  name: string;
  labels: ContainerOwner;
}

/** A short key for a profile, from the create options it yields: equal keys make identical containers. */
export function profileKey(profile: ContainerProfile): string {
  const {
    name: _name,
    Labels: _labels,
    ...spec
  } = sandboxContainerSpec({
    ...profile,
    name: '',
    labels: { cluster: '', hostId: '', poolKey: '' },
  });
  return crypto.createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 16);
}

/**
 * The create options of a sandbox container. Everything here is server-controlled: nothing from the
 * request reaches the image, the user, the mounts or the host config.
 */
export function sandboxContainerSpec({
  name,
  image,
  limits,
  container,
  runtime,
  seccompJson,
  supervisor,
  labels,
}: ContainerSpecInput): Docker.ContainerCreateOptions {
  const { workspaceMb, tmpMb, shmMb } = tmpfsSizes(limits.memoryMb);
  // Each stage lowers RLIMIT_CPU to its own limit inside this one (stage-limits.ts).
  const cpuSeconds = Math.ceil(Math.max(container.cpuTimeMs, limits.cpuTimeMs) / 1000);
  const memoryBytes = Math.max(container.memoryMb, limits.memoryMb) * MiB;
  const fileSizeBytes = Math.min(limits.fileSizeMb, workspaceMb) * MiB;
  const hostConfig: SandboxHostConfig = {
    NetworkMode: 'none',
    CapDrop: ['ALL'],
    // The supervisor's only powers: to start the program as the sandbox user with an empty bounding
    // set (setuid, setgid, setpcap; the kernel clears them all for the program) and to kill what the
    // program leaves behind.
    CapAdd: ['SETUID', 'SETGID', 'SETPCAP', 'KILL'],
    Privileged: false,
    SecurityOpt: ['no-new-privileges:true', `seccomp=${seccompJson}`],
    Runtime: runtime,
    ReadonlyRootfs: true,
    Mounts: [{ Type: 'bind', Source: supervisor, Target: SUPERVISOR_PATH, ReadOnly: true }],
    Tmpfs: {
      [WORKSPACE]: `rw,exec,nosuid,nodev,size=${workspaceMb}m,uid=10001,gid=10001,mode=0700`,
      '/tmp': `rw,nosuid,nodev,noexec,size=${tmpMb}m,mode=1777`,
    },
    ShmSize: shmMb * MiB,
    Memory: memoryBytes,
    MemorySwap: memoryBytes,
    NanoCpus: Math.round(limits.cpus * 1e9),
    // Relative weight under contention; a set value is also what CIS 5.11 checks for.
    CpuShares: Math.max(2, Math.round(limits.cpus * 512)),
    PidsLimit: limits.pids,
    Ulimits: [
      { Name: 'nofile', Soft: limits.openFiles, Hard: limits.openFiles },
      { Name: 'fsize', Soft: fileSizeBytes, Hard: fileSizeBytes },
      { Name: 'core', Soft: 0, Hard: 0 },
      // SIGXCPU at the soft limit (reported as a CPU time limit), SIGKILL a second later.
      { Name: 'cpu', Soft: cpuSeconds, Hard: cpuSeconds + 1 },
    ],
    IpcMode: 'private',
    CgroupnsMode: 'private',
    Init: true,
    OomScoreAdj: 500,
    LogConfig: { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '1' } },
    RestartPolicy: { Name: 'no' },
    AutoRemove: false,
  };
  return {
    name,
    Image: image,
    // The supervisor waits on its attach stream; each stage is a message to it, so the run and test
    // stages share one fresh sandbox. It runs as root (with the four capabilities above, nothing
    // else), so the program, as uid 10001, cannot signal, ptrace or read it.
    Cmd: [SUPERVISOR_PATH],
    User: '0:0',
    // The workspace is the sandbox user's alone (mode 0700), so root without DAC_OVERRIDE starts in /.
    WorkingDir: '/',
    Env: [`HOME=${WORKSPACE}`, 'TMPDIR=/tmp', 'LANG=C.UTF-8', 'PATH=/usr/local/bin:/usr/bin:/bin'],
    Labels: ownerLabels(labels),
    NetworkDisabled: true,
    StopTimeout: 1,
    // The supervisor's channel: stdin stays open across attaches, so a restarted host can attach again.
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    OpenStdin: true,
    StdinOnce: false,
    HostConfig: hostConfig,
  };
}

function ownerLabels(owner: ContainerOwner): Record<string, string> {
  const common = { [LABELS.managed]: 'true', [LABELS.cluster]: owner.cluster, [LABELS.host]: owner.hostId };
  if ('poolKey' in owner) return { ...common, [LABELS.pool]: owner.poolKey };
  return { ...common, [LABELS.execution]: owner.executionId, [LABELS.deadline]: String(owner.deadlineAt) };
}
