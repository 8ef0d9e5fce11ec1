/**
 * CIS Docker Benchmark, section 5 (container runtime), checked against a sandbox exactly as Airlock
 * runs it: the container is inspected while its program runs. Numbering follows docker-bench-security
 * (CIS Docker Benchmark 1.x). Checks that cannot pass by design are asserted as the deviation they are,
 * and docs/security.md says why.
 */
import type Docker from 'dockerode';
import { TestCluster } from '../support/cluster';
import { containersOf, eventually } from '../support/docker';

let cluster: TestCluster;
let info: Docker.ContainerInspectInfo;
let executionId: string;

beforeAll(async () => {
  cluster = await TestCluster.start();
  ({ executionId } = await cluster.submit({
    language: 'python',
    code: 'import time\ntime.sleep(60)',
    limits: { timeoutMs: 60_000 },
  }));
  await cluster.waitForStage(executionId, 'run', 'running');
  const [container] = await containersOf(cluster.docker, executionId);
  // The workflow reports the stage running a moment before the supervisor has started the program.
  const sandbox = cluster.docker.getContainer(container!.Id);
  await eventually('the program to run in its sandbox', async () => {
    const { Processes } = await sandbox.top();
    return Processes.some((p: string[]) => p.some((field) => field.includes('python3'))) || undefined;
  });
  info = await sandbox.inspect();
});

afterAll(async () => {
  if (executionId) {
    await cluster.executions.cancel(executionId, 'default');
    await cluster.result(executionId);
  }
  await cluster?.stop();
});

type HostConfigWithExtras = Docker.HostConfig & { CgroupnsMode?: string; CgroupParent?: string; UsernsMode?: string };
const host = (): HostConfigWithExtras => info.HostConfig as HostConfigWithExtras;

describe('CIS Docker Benchmark section 5, on a live sandbox', () => {
  test('5.2 security options are set (seccomp profile and no-new-privileges)', () => {
    expect(host().SecurityOpt).toEqual([
      expect.stringMatching(/^no-new-privileges/),
      expect.stringMatching(/^seccomp=\{/),
    ]);
  });
  // Deviation by design (docs/security.md): the supervisor keeps four, the program gets none.
  test("5.3 Linux kernel capabilities are restricted: all dropped, only the supervisor's four added", () => {
    expect(host().CapDrop).toEqual(['ALL']);
    expect(host().CapAdd).toEqual(['SETUID', 'SETGID', 'SETPCAP', 'KILL']);
  });
  test('5.4 privileged containers are not used', () => expect(host().Privileged).toBe(false));
  test('5.5 sensitive host directories are not mounted: only the supervisor binary, read-only', () => {
    expect(info.Mounts).toEqual([
      expect.objectContaining({
        Type: 'bind',
        Source: expect.stringMatching(/\/airlock-supervisor-[0-9a-f]{16}$/),
        Destination: '/opt/airlock/supervisor',
        RW: false,
      }),
    ]);
    expect(host().Binds ?? []).toEqual([]);
  });
  test('5.6 sshd is not run: the image has none', async () => {
    const result = await cluster.run({
      language: 'python',
      code: 'import os\nprint(os.path.exists("/usr/sbin/sshd"))',
    });
    expect(result.run?.stdout).toBe('False\n');
  });
  test('5.7, 5.8, 5.13 no ports are mapped or exposed', () => {
    expect(host().PortBindings ?? {}).toEqual({});
    expect(info.NetworkSettings.Ports ?? {}).toEqual({});
  });
  test("5.9 the host's network namespace is not shared", () => expect(host().NetworkMode).toBe('none'));
  test('5.10 memory is limited, without swap', () => {
    expect(host().Memory).toBeGreaterThan(0);
    expect(host().MemorySwap).toBe(host().Memory);
  });
  test('5.11 CPU priority is set', () => {
    expect(host().CpuShares).toBeGreaterThan(0);
    expect(host().NanoCpus).toBeGreaterThan(0);
  });
  test("5.12 the container's root filesystem is read-only", () => expect(host().ReadonlyRootfs).toBe(true));
  test("5.14 restart policy: deliberately 'no' (a sandbox must never be restarted)", () => {
    expect(host().RestartPolicy).toEqual({ Name: 'no', MaximumRetryCount: 0 });
  });
  test("5.15, 5.16, 5.20 the host's PID, IPC and UTS namespaces are not shared", () => {
    expect(host().PidMode ?? '').toBe('');
    expect(host().IpcMode).toBe('private');
    expect(host().UTSMode ?? '').toBe('');
  });
  test('5.17 host devices are not exposed', () => expect(host().Devices ?? []).toEqual([]));
  test('5.18 default ulimits are overridden', () => {
    expect((host().Ulimits ?? []).map((u) => u.Name).sort()).toEqual(['core', 'cpu', 'fsize', 'nofile']);
  });
  test('5.19 mount propagation is not shared', () => {
    for (const mount of info.Mounts) expect(mount.Propagation).not.toMatch(/shared/);
  });
  test('5.21 the seccomp profile is not disabled', () => {
    expect((host().SecurityOpt ?? []).join(' ')).not.toMatch(/seccomp[=:]unconfined/);
  });
  test('5.22, 5.23 no exec at all: the supervisor starts the program, as the unprivileged user', async () => {
    expect((info as { ExecIDs?: string[] | null }).ExecIDs ?? []).toEqual([]);
    const { Titles, Processes } = await cluster.docker.getContainer(info.Id).top({ ps_args: '-o pid,uid,args' });
    const uid = Titles.indexOf('UID');
    const args = Titles.indexOf('COMMAND');
    const byCommand = Processes.map((p: string[]) => [p[args]!.split(' ')[0], p[uid]]);
    // The engine's init and the supervisor are root; the program, and nothing else, is 10001.
    expect(byCommand).toEqual([
      ['/sbin/docker-init', '0'],
      ['/opt/airlock/supervisor', '0'],
      ['python3', '10001'],
    ]);
  });
  test('5.24 cgroup usage is confirmed: the default parent, a private cgroup namespace', () => {
    expect(host().CgroupParent ?? '').toBe('');
    expect(host().CgroupnsMode).toBe('private');
  });
  test('5.25 the container cannot acquire additional privileges', () => {
    expect(host().SecurityOpt).toContain('no-new-privileges:true');
  });
  test('5.28 the PIDs cgroup limit is used', () => expect(host().PidsLimit).toBeGreaterThan(0));
  test("5.29 Docker's default bridge is not used: no network endpoint at all", () => {
    expect(Object.keys(info.NetworkSettings.Networks ?? {})).toEqual([]);
    expect((info.Config as { NetworkDisabled?: boolean }).NetworkDisabled).toBe(true);
  });
  test("5.30 the host's user namespace is not shared", () => expect(host().UsernsMode ?? '').toBe(''));
  test('5.31 the Docker socket is not mounted', () => {
    expect(JSON.stringify(info.Mounts)).not.toContain('docker.sock');
  });
  test('the container runs the supervisor under the init, with a bounded log', () => {
    expect(info.Config.User).toBe('0:0');
    expect(info.Config.Cmd).toEqual(['/opt/airlock/supervisor']);
    expect(host().LogConfig).toEqual({ Type: 'json-file', Config: { 'max-file': '1', 'max-size': '1m' } });
    expect(host().Init).toBe(true);
  });
});
