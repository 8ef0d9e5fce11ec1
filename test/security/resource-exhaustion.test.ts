import { hostileCase, useHostileHarness } from './harness';

const h = useHostileHarness();
const MiB = 1024 * 1024;

describe('hostile: resource exhaustion', () => {
  hostileCase(h, 'R1 fork bomb (Python) is held at the pids limit and killed at the wall limit', async (h, marker) => {
    const result = await h.run(
      {
        language: 'python',
        code: 'import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass',
        limits: { timeoutMs: 3_000 },
      },
      marker,
    );
    expect(result).toMatchObject({ status: 'time_limit_exceeded', timeLimit: 'wall' });
    return result;
  });

  hostileCase(h, 'R2 fork bomb (shell) is held at the pids limit and killed at the wall limit', async (h, marker) => {
    const result = await h.run(
      {
        language: 'python',
        // The shell then becomes `sleep` (exec, no fork): it waits for the wall limit whatever the
        // bomb has left of the pids, rather than exit when its own next fork fails.
        code: 'import os, sys\nbomb = "f() { f | f & }; f; exec sleep 3600 # " + sys.argv[1]\nos.execv("/bin/sh", ["sh", "-c", bomb])',
        limits: { timeoutMs: 3_000 },
      },
      marker,
    );
    expect(result).toMatchObject({ status: 'time_limit_exceeded', timeLimit: 'wall' });
    return result;
  });

  hostileCase(h, 'R3 thread bomb stops at the pids limit', async (h, marker) => {
    const { result, out } = await h.probe(
      `import threading, time
threads = []
error = None
while True:
    try:
        t = threading.Thread(target=time.sleep, args=(30,), daemon=True)
        t.start()
        threads.append(t)
    except RuntimeError as e:
        error = str(e)
        break
report(threads=len(threads), error=error)
os._exit(0)`,
      marker,
    );
    expect(result.status).toBe('succeeded');
    expect(out.error).toBe("can't start new thread");
    // The policy's pids limit is 128: the init, the idle process and python itself hold three.
    expect(out.threads).toBeLessThanOrEqual(125);
    expect(out.threads).toBeGreaterThan(100);
    return result;
  });

  hostileCase(h, 'R4 memory bomb (Python) is OOM-killed inside its cgroup', async (h, marker) => {
    const result = await h.run(
      { language: 'python', code: 'a = []\nwhile True:\n    a.append(bytearray(8 << 20))', limits: { memoryMb: 64 } },
      marker,
    );
    expect(result.status).toBe('memory_limit_exceeded');
    expect(result.run).toMatchObject({ oomKilled: true, limitExceeded: 'memory', signal: 'SIGKILL' });
    expect(result.run!.peakMemoryBytes).toBeGreaterThan(48 * MiB);
    expect(result.run!.peakMemoryBytes).toBeLessThanOrEqual(64 * MiB);
    return result;
  });

  hostileCase(h, 'R5 memory bomb (Node) is OOM-killed inside its cgroup', async (h, marker) => {
    const result = await h.run(
      {
        language: 'javascript',
        code: 'const a = [];\nfor (;;) a.push(Buffer.alloc(8 << 20, 1));',
        limits: { memoryMb: 96 },
      },
      marker,
    );
    expect(result.status).toBe('memory_limit_exceeded');
    expect(result.run?.oomKilled).toBe(true);
    return result;
  });

  hostileCase(h, 'R6 CPU spin past the CPU-time limit gets SIGXCPU', async (h, marker) => {
    const result = await h.run(
      // A generous wall clock, so the CPU limit ends it even on a busy host.
      { language: 'python', code: 'while True:\n    pass', limits: { cpuTimeMs: 1_000, timeoutMs: 60_000 } },
      marker,
    );
    expect(result).toMatchObject({ status: 'time_limit_exceeded', timeLimit: 'cpu' });
    expect(result.run).toMatchObject({ exitCode: 152, signal: 'SIGXCPU', limitExceeded: 'cpu' });
    // The cgroup's exact CPU time trails the tick-sampled clock RLIMIT_CPU runs on (by up to a fifth
    // on a busy host): the verdict needs at least half the limit, and the 2 s hard limit caps it.
    expect(result.run!.cpuMs).toBeGreaterThanOrEqual(500);
    expect(result.run!.cpuMs).toBeLessThan(2_500);
    return result;
  });

  hostileCase(h, 'R7 sleep past the wall limit, ignoring SIGTERM, is killed from the host', async (h, marker) => {
    const result = await h.run(
      {
        language: 'python',
        code: 'import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\ntime.sleep(3600)',
        limits: { timeoutMs: 1_500 },
      },
      marker,
    );
    expect(result).toMatchObject({ status: 'time_limit_exceeded', timeLimit: 'wall' });
    expect(result.run!.wallMs).toBeGreaterThanOrEqual(1_500);
    expect(result.run!.wallMs).toBeLessThan(4_000);
    expect(result.run!.cpuMs).toBeLessThan(500);
    return result;
  });

  hostileCase(h, 'R8 stdout flood is cut at the output cap', async (h, marker) => {
    const result = await h.run(
      { language: 'python', code: 'import sys\nwhile True:\n    sys.stdout.write("A" * 65536)' },
      marker,
    );
    expect(result.status).toBe('output_limit_exceeded');
    expect(result.run).toMatchObject({ stdoutTruncated: true, stderrTruncated: false, limitExceeded: 'output' });
    // The whole capture (the cap) is stored; the result keeps its 16 KiB preview.
    expect(result.run!.stdoutRef?.bytes).toBe(262_144);
    expect(result.run!.stdout.length).toBe(16_384);
    expect(result.run!.stdoutBytes).toBeGreaterThan(262_144);
    return result;
  });

  hostileCase(h, 'R9 stderr flood is cut at the output cap', async (h, marker) => {
    const result = await h.run(
      // writeSync: process.stderr.write may queue in memory, and then the memory limit could win the race.
      {
        language: 'javascript',
        code: 'const fs = require("fs");\nconst s = "E".repeat(65536);\nfor (;;) fs.writeSync(2, s);',
      },
      marker,
    );
    expect(result.status).toBe('output_limit_exceeded');
    expect(result.run).toMatchObject({ stderrTruncated: true, stdout: '' });
    expect(result.run!.stderrRef?.bytes).toBe(262_144);
    expect(result.run!.stderr.length).toBe(16_384);
    return result;
  });

  hostileCase(
    h,
    'R10 filling every writable path stops at each tmpfs size; everything else is read-only',
    async (h, marker) => {
      const { result, out } = await h.probe(
        `paths = ["/tmp", "/workspace", "/dev/shm", "/", "/var/tmp", "/etc", "/usr", "/home", "/run", "/root"]
chunk = b"x" * (4 << 20)
results = {}
for p in paths:
    written, outcome, i = 0, "ok", 0
    while outcome == "ok" and written < (512 << 20):
        try:
            with open(os.path.join(p, f"fill-{i}"), "wb") as f:
                f.write(chunk)
            written += len(chunk)
            i += 1
        except OSError as e:
            outcome = errno.errorcode[e.errno]
    results[p] = [outcome, written]
report(**results)`,
        marker,
      );
      expect(result.status).toBe('succeeded');
      // 256 MiB sandbox: /workspace a quarter, /tmp an eighth, /dev/shm a sixteenth.
      expect(out['/workspace']).toEqual(['ENOSPC', expect.any(Number)]);
      expect((out['/workspace'] as number[])[1]).toBeLessThanOrEqual(64 * MiB);
      expect(out['/tmp']).toEqual(['ENOSPC', expect.any(Number)]);
      expect((out['/tmp'] as number[])[1]).toBeLessThanOrEqual(32 * MiB);
      expect(out['/dev/shm']).toEqual(['ENOSPC', expect.any(Number)]);
      expect((out['/dev/shm'] as number[])[1]).toBeLessThanOrEqual(16 * MiB);
      for (const path of ['/', '/var/tmp', '/etc', '/usr', '/home', '/run', '/root']) {
        expect([path, (out[path] as string[])[0]]).toEqual([path, expect.stringMatching(/^(EROFS|EACCES)$/)]);
        expect((out[path] as number[])[1]).toBe(0);
      }
      return result;
    },
  );

  hostileCase(h, 'R11 one huge file stops at the file-size limit', async (h, marker) => {
    const { result, out } = await h.probe(
      `written, outcome = 0, "ok"
with open("big", "wb") as f:
    while outcome == "ok":
        try:
            written += f.write(b"x" * (1 << 20))
            f.flush()
        except OSError as e:
            outcome = errno.errorcode[e.errno]
report(outcome=outcome, written=written)`,
      marker,
      { memoryMb: 512 },
    );
    expect(result.status).toBe('succeeded');
    expect(out).toEqual({ outcome: 'EFBIG', written: 64 * MiB });
    return result;
  });

  hostileCase(h, 'R12 exhausting file descriptors stops at the open-files limit', async (h, marker) => {
    const { result, out } = await h.probe(
      `fds, outcome = [], "ok"
while outcome == "ok":
    try:
        fds.append(os.open("/dev/null", os.O_RDONLY))
    except OSError as e:
        outcome = errno.errorcode[e.errno]
report(outcome=outcome, opened=len(fds))`,
      marker,
    );
    expect(result.status).toBe('succeeded');
    expect(out.outcome).toBe('EMFILE');
    expect(out.opened).toBeGreaterThan(1_000);
    expect(out.opened).toBeLessThan(1_024);
    return result;
  });

  hostileCase(
    h,
    'R13 CPU spin ignoring SIGXCPU is killed at the hard CPU limit, a CPU-time verdict',
    async (h, marker) => {
      const result = await h.run(
        {
          language: 'python',
          code: 'import signal\nsignal.signal(signal.SIGXCPU, signal.SIG_IGN)\nwhile True:\n    pass',
          limits: { cpuTimeMs: 1_000, timeoutMs: 60_000 },
        },
        marker,
      );
      expect(result).toMatchObject({ status: 'time_limit_exceeded', timeLimit: 'cpu' });
      // The soft limit is 1 s and the hard one, where the kernel sends SIGKILL, a second later.
      expect(result.run).toMatchObject({ exitCode: 137, signal: 'SIGKILL', limitExceeded: 'cpu', oomKilled: false });
      // Past the soft limit to the hard one, on the cgroup's clock, which trails the kernel's.
      expect(result.run!.cpuMs).toBeGreaterThanOrEqual(1_000);
      expect(result.run!.cpuMs).toBeLessThan(3_500);
      return result;
    },
  );

  hostileCase(h, 'R14 exit(152) without spending CPU is a runtime error, not a CPU-time verdict', async (h, marker) => {
    const result = await h.run(
      { language: 'python', code: 'import sys\nsys.exit(152)', limits: { cpuTimeMs: 1_000 } },
      marker,
    );
    expect(result).toMatchObject({ status: 'runtime_error', timeLimit: null });
    expect(result.run).toMatchObject({ exitCode: 152, signal: null, limitExceeded: null });
    // Below the share of the limit a CPU-time verdict needs.
    expect(result.run!.cpuMs).toBeLessThan(500);
    return result;
  });

  hostileCase(h, 'R15 exit(137) with no limit behind it is a runtime error, not a kill', async (h, marker) => {
    const result = await h.run(
      { language: 'python', code: 'import sys\nsys.exit(137)', limits: { cpuTimeMs: 1_000 } },
      marker,
    );
    expect(result).toMatchObject({ status: 'runtime_error', timeLimit: null });
    expect(result.run).toMatchObject({ exitCode: 137, signal: null, limitExceeded: null, oomKilled: false });
    // Below the share of the limit a CPU-time verdict needs.
    expect(result.run!.cpuMs).toBeLessThan(500);
    return result;
  });
});
