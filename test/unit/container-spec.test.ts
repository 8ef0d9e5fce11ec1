import { sandboxContainerSpec, tmpfsSizes } from '../../activities/containers/container-spec';
import { MIN_MEMORY_MB, type Limits } from '../../lib/schemas/limits';

const limits: Limits = {
  timeoutMs: 10_000,
  cpuTimeMs: 4_500,
  memoryMb: 256,
  cpus: 1.5,
  pids: 128,
  openFiles: 512,
  fileSizeMb: 16,
  outputBytes: 1024,
  testTimeoutMs: 30_000,
};
const seccompJson = '{"defaultAction":"SCMP_ACT_ERRNO"}';
const spec = sandboxContainerSpec({
  name: 'airlock-ex_1',
  image: 'sha256:abc',
  limits,
  container: { memoryMb: 256, cpuTimeMs: 4_500 },
  runtime: 'runsc',
  seccompJson,
  supervisor: '/srv/airlock/supervisor/airlock-supervisor-0123456789abcdef',
  labels: { cluster: 'c', executionId: 'ex_1', hostId: 'h1', deadlineAt: 1234 },
});
const host = spec.HostConfig!;
const MiB = 1024 * 1024;

describe('sandbox container spec', () => {
  test('runs the supervisor, with no network, only its four capabilities and a read-only root', () => {
    // The supervisor is root with setuid, setgid, setpcap and kill only; the program runs as 10001 with none.
    expect(spec.Cmd).toEqual(['/opt/airlock/supervisor']);
    expect(spec.User).toBe('0:0');
    expect(spec.OpenStdin).toBe(true);
    expect(spec.StdinOnce).toBe(false);
    expect(host.Mounts).toEqual([
      {
        Type: 'bind',
        Source: '/srv/airlock/supervisor/airlock-supervisor-0123456789abcdef',
        Target: '/opt/airlock/supervisor',
        ReadOnly: true,
      },
    ]);
    expect(spec.NetworkDisabled).toBe(true);
    expect(host.NetworkMode).toBe('none');
    expect(host.CapDrop).toEqual(['ALL']);
    expect(host.CapAdd).toEqual(['SETUID', 'SETGID', 'SETPCAP', 'KILL']);
    expect(host.Privileged).toBe(false);
    expect(host.SecurityOpt).toEqual(['no-new-privileges:true', `seccomp=${seccompJson}`]);
    expect(host.Runtime).toBe('runsc');
    expect(host.ReadonlyRootfs).toBe(true);
    expect(host.Binds).toBeUndefined();
    expect(host.Devices).toBeUndefined();
    expect(host.Init).toBe(true);
    expect(host.IpcMode).toBe('private');
  });

  test('applies memory without swap, CPU, pids and rlimits from the limits', () => {
    expect(host.Memory).toBe(256 * MiB);
    expect(host.MemorySwap).toBe(256 * MiB);
    expect(host.NanoCpus).toBe(1.5e9);
    expect(host.PidsLimit).toBe(128);
    const ulimits = Object.fromEntries(host.Ulimits!.map((u) => [u.Name, [u.Soft, u.Hard]]));
    expect(ulimits.core).toEqual([0, 0]);
    expect(ulimits.nofile).toEqual([512, 512]);
    expect(ulimits.fsize).toEqual([16 * MiB, 16 * MiB]);
    // Whole seconds, rounded up; SIGKILL one second after SIGXCPU.
    expect(ulimits.cpu).toEqual([5, 6]);
    expect(ulimits.nproc).toBeUndefined();
  });

  test('tmpfs mounts stay under half the memory limit', () => {
    for (const memoryMb of [MIN_MEMORY_MB, 17, 64, 100, 256, 2048]) {
      const { workspaceMb, tmpMb, shmMb } = tmpfsSizes(memoryMb);
      expect(workspaceMb + tmpMb + shmMb).toBeLessThanOrEqual(memoryMb / 2);
    }
    // Compiled programs run from the workspace; /tmp stays noexec.
    expect(host.Tmpfs!['/workspace']).toMatch(/rw,exec,nosuid,nodev,size=64m/);
    expect(host.Tmpfs!['/tmp']).toMatch(/nosuid,nodev,noexec,size=32m/);
  });

  test('a compile stage that needs more gets it for the container, while tmpfs follows the run', () => {
    const compiled = sandboxContainerSpec({
      name: 'x',
      image: 'i',
      limits,
      container: { memoryMb: 1024, cpuTimeMs: 60_000 },
      runtime: 'runc',
      seccompJson,
      supervisor: '/s',
      labels: { cluster: 'c', executionId: 'ex_1', hostId: 'h1', deadlineAt: 1 },
    }).HostConfig!;
    expect(compiled.Memory).toBe(1024 * MiB);
    expect(compiled.MemorySwap).toBe(1024 * MiB);
    expect(compiled.Ulimits!.find((u) => u.Name === 'cpu')).toMatchObject({ Soft: 60, Hard: 61 });
    expect(compiled.Tmpfs!['/workspace']).toMatch(/size=64m/);
  });

  test('is labelled for teardown and the reaper, and bounded in logging', () => {
    expect(spec.name).toBe('airlock-ex_1');
    expect(spec.Labels).toEqual({
      'io.airlock.managed': 'true',
      'io.airlock.cluster': 'c',
      'io.airlock.execution': 'ex_1',
      'io.airlock.host': 'h1',
      'io.airlock.deadline': '1234',
    });
    expect(host.LogConfig).toEqual({ Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '1' } });
    expect(host.AutoRemove).toBe(false);
    expect(spec.Env!.join('\n')).not.toMatch(/TEMPORAL|TOKEN|SECRET|KEY/);
  });
});
