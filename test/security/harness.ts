import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import type { ExecutionResult } from '../../lib/schemas/execution-result';
import { TestCluster } from '../support/cluster';
import { containersOf } from '../support/docker';

/** Python helpers every probe starts with: raw syscalls and attempts reported by errno name. */
export const PRELUDE = `
import ctypes, errno, json, os, socket, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def sc(nr, *args):
    ctypes.set_errno(0)
    r = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) for a in args])
    return "ok" if r >= 0 else errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))
def attempt(fn):
    try:
        fn()
        return "ok"
    except socket.gaierror:
        return "gaierror"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno)) if e.errno else type(e).__name__
    except Exception as e:
        return type(e).__name__
def report(**values):
    print(json.dumps(values), flush=True)
`;

/** x86_64 syscall numbers for the probes (the suite runs on x86_64). */
export const NR = {
  ptrace: 101,
  mknod: 133,
  pivot_root: 155,
  mount: 165,
  init_module: 175,
  kexec_load: 246,
  add_key: 248,
  keyctl: 250,
  unshare: 272,
  perf_event_open: 298,
  setns: 308,
  finit_module: 313,
  bpf: 321,
  userfaultfd: 323,
  clock_settime: 227,
  io_uring_setup: 425,
} as const;

export interface ProbeResult {
  result: ExecutionResult;
  /** The JSON the probe printed on its last line. */
  out: Record<string, unknown>;
}

/**
 * The hostile suite's cluster: every case runs through the real pipeline, then proves the host and
 * the next execution are unaffected.
 */
export class HostileHarness {
  private constructor(readonly cluster: TestCluster) {}

  static async start(): Promise<HostileHarness> {
    return new HostileHarness(await TestCluster.start({ reaperIntervalMs: 2_000 }));
  }

  async stop(): Promise<void> {
    await this.cluster.stop();
  }

  run(request: Record<string, unknown>, marker: string): Promise<ExecutionResult> {
    return this.cluster.run({ ...request, args: [marker, ...((request.args as string[]) ?? [])] });
  }

  /** Runs Python code (after PRELUDE) that ends by printing one JSON object. */
  async probe(code: string, marker: string, limits: Record<string, number> = {}): Promise<ProbeResult> {
    const result = await this.run({ language: 'python', code: `${PRELUDE}\n${code}`, limits }, marker);
    const last = result.run?.stdout.trim().split('\n').at(-1) ?? '';
    let out: Record<string, unknown> = {};
    try {
      out = JSON.parse(last) as Record<string, unknown>;
    } catch {
      throw new Error(
        `probe printed no JSON (status ${result.status}, error ${JSON.stringify(result.error)}): ${result.run?.stdout}\n${result.run?.stderr}`,
      );
    }
    return { result, out };
  }

  /**
   * After every case: the container is gone, nothing the case started still runs on the host, the
   * host and its engine answer promptly, and the next execution gets a clean, working sandbox.
   */
  async expectUnaffected(result: ExecutionResult, marker: string): Promise<void> {
    const { cluster } = this;
    expect(await containersOf(cluster.docker, result.id)).toEqual([]);
    expect(spawnSync('pgrep', ['-f', marker]).stdout.toString().trim()).toBe('');
    const started = Date.now();
    expect(spawnSync('true').status).toBe(0);
    await cluster.docker.ping();
    expect(Date.now() - started).toBeLessThan(2_000);

    const next = await cluster.run({
      language: 'python',
      code:
        'import os, json\n' +
        'dirs = ("/tmp", "/dev/shm", ".", ".airlock", ".airlock/bin", ".airlock/tmp", ".airlock/reports")\n' +
        'print(json.dumps([sorted(os.listdir(p)) for p in dirs]))',
    });
    expect(next.status).toBe('succeeded');
    // Only the program's own file and the empty build folders every sandbox starts with.
    expect(JSON.parse(next.run!.stdout)).toEqual([
      [],
      [],
      ['.airlock', 'main.py'],
      ['bin', 'reports', 'tmp'],
      [],
      [],
      [],
    ]);
  }
}

/** A unique string the case's processes carry in their command line, so the host can be searched for them. */
export function caseMarker(): string {
  return `airlock-case-${crypto.randomBytes(6).toString('hex')}`;
}

/** Declares one hostile case: its body returns the execution, whose aftermath is then checked. */
export function hostileCase(
  harness: () => HostileHarness,
  name: string,
  body: (h: HostileHarness, marker: string) => Promise<ExecutionResult>,
): void {
  test(name, async () => {
    const marker = caseMarker();
    const result = await body(harness(), marker);
    await harness().expectUnaffected(result, marker);
  });
}

/** Starts one harness for the calling test file and stops it after; returns its accessor. */
export function useHostileHarness(): () => HostileHarness {
  let harness: HostileHarness | undefined;
  beforeAll(async () => {
    harness = await HostileHarness.start();
  });
  afterAll(async () => {
    await harness?.stop();
  });
  return () => {
    if (!harness) throw new Error('the hostile harness has not started');
    return harness;
  };
}
