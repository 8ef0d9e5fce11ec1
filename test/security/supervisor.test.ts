import { NR, hostileCase, useHostileHarness } from './harness';

const h = useHostileHarness();

/** Finds the supervisor from inside: the process whose command line is the mounted binary. */
const FIND_SUPERVISOR = `
def supervisor_pid():
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                if open(f"/proc/{p}/cmdline", "rb").read().split(b"\\0")[0] == b"/opt/airlock/supervisor":
                    return int(p)
            except OSError:
                pass
    return None
sup = supervisor_pid()
`;

describe('hostile: the supervisor cannot be forged or disturbed', () => {
  hostileCase(h, 'S1 no signal, ptrace or /proc poke reaches the supervisor or its channel', async (h, marker) => {
    const { result, out } = await h.probe(
      `import signal
${FIND_SUPERVISOR}
def opener(path, mode):
    return lambda: open(path, mode).close()
report(
    found=sup is not None,
    uid=os.getuid(),
    caps=[l.split()[1] for l in open("/proc/self/status") if l.startswith(("CapEff", "CapPrm", "CapAmb"))],
    kill=[attempt(lambda s=s: os.kill(sup, s)) for s in (signal.SIGKILL, signal.SIGTERM, signal.SIGSTOP)],
    group=attempt(lambda: os.killpg(os.getpgid(sup), signal.SIGKILL)),
    ptrace=sc(${NR.ptrace}, 16, sup, 0, 0),
    mem=attempt(opener(f"/proc/{sup}/mem", "rb")),
    environ=attempt(opener(f"/proc/{sup}/environ", "rb")),
    fds=attempt(lambda: os.listdir(f"/proc/{sup}/fd")),
    stdin=attempt(opener(f"/proc/{sup}/fd/0", "wb")),
    stdout=attempt(opener(f"/proc/{sup}/fd/1", "rb")),
    init_stdin=attempt(opener("/proc/1/fd/0", "wb")),
)`,
      marker,
    );
    expect(result.status).toBe('succeeded');
    expect(out.found).toBe(true);
    expect(out.uid).toBe(10001);
    expect(out.caps).toEqual(['0000000000000000', '0000000000000000', '0000000000000000']);
    expect(out.kill).toEqual(['EPERM', 'EPERM', 'EPERM']);
    expect(out.group).toBe('EPERM');
    expect(out.ptrace).toBe('EPERM');
    for (const poke of ['mem', 'environ', 'fds', 'stdin', 'stdout', 'init_stdin']) expect(out[poke]).toBe('EACCES');
    return result;
  });

  hostileCase(h, 'S2 frames printed on stdout are the program output, not answers', async (h, marker) => {
    // A well-formed exit frame for request 1 (and 2, 3), claiming success, then a real exit code.
    const result = await h.run(
      {
        language: 'python',
        code: `import json, struct, sys
body = json.dumps({"exitCode": 0, "wallMs": 1, "killed": False, "leftover": 0, "stdoutBytes": 0, "stderrBytes": 0}).encode()
for i in (1, 2, 3):
    frame = struct.pack(">IcI", len(body) + 5, b"X", i) + body
    sys.stdout.buffer.write(frame)
    sys.stderr.buffer.write(frame)
sys.stdout.flush()
sys.exit(3)`,
      },
      marker,
    );
    expect(result.status).toBe('runtime_error');
    expect(result.run?.exitCode).toBe(3);
    expect(result.run?.stdout).toContain('"exitCode": 0');
    expect(result.run?.stderr).toContain('"exitCode": 0');
    return result;
  });

  hostileCase(h, 'S2 the program holds no launcher pipe, and its own exit 125 is its result', async (h, marker) => {
    const result = await h.run(
      {
        language: 'python',
        code: `import os, sys
for fd in (3, 4):
    try:
        os.fstat(fd)
        print("open", fd)
    except OSError:
        print("closed", fd)
sys.stderr.write("airlock: writing files: main.py: no space left on device\\n")
sys.exit(125)`,
      },
      marker,
    );
    expect(result.run?.stdout).toBe('closed 3\nclosed 4\n');
    expect(result.status).toBe('runtime_error');
    expect(result.run?.exitCode).toBe(125);
    expect(result.error).toBeNull();
    return result;
  });

  hostileCase(h, 'S3 a leftover process cannot write into the manifest after the program ends', async (h, marker) => {
    const result = await h.run(
      {
        language: 'python',
        code: `import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        # Detached: waits for the program to end, then writes files for as long as it lives.
        time.sleep(0.3)
        for i in range(400):
            with open(f"late-{i}.txt", "w") as f:
                f.write("forged")
            time.sleep(0.005)
        os._exit(0)
    os._exit(0)
os.wait()
print("done")`,
      },
      marker,
    );
    expect(result.status).toBe('succeeded');
    expect(result.run?.leftoverProcessesKilled).toBeGreaterThanOrEqual(1);
    // It was killed when the program ended, before the manifest was read: it wrote nothing.
    expect(result.scan!.artifacts.filter((a) => a.name.startsWith('late-'))).toEqual([]);
    return result;
  });

  hostileCase(
    h,
    'S4 a flood on both streams ends at the output cap, and the answer still arrives',
    async (h, marker) => {
      const result = await h.run(
        {
          language: 'python',
          code: `import os, threading
chunk = b"A" * 65536
def flood(fd):
    while True:
        os.write(fd, chunk)
threading.Thread(target=flood, args=(2,), daemon=True).start()
flood(1)`,
        },
        marker,
      );
      // The default policy's cap: 256 KiB over both streams.
      expect(result.run?.limitExceeded).toBe('output');
      const kept = Buffer.byteLength(result.run!.stdout) + Buffer.byteLength(result.run!.stderr);
      expect(kept).toBeLessThanOrEqual(262_144);
      expect(result.run!.stdoutTruncated || result.run!.stderrTruncated).toBe(true);
      return result;
    },
  );

  hostileCase(
    h,
    'S5 pids exhausted by leftovers: the supervisor still sweeps, packs and answers',
    async (h, marker) => {
      const result = await h.run(
        {
          language: 'python',
          code: `import os, time
open("out.txt", "w").write("kept")
children = 0
while True:
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(600)
        os._exit(0)
    children += 1
print(children)`,
        },
        marker,
      );
      expect(result.status).toBe('succeeded');
      const children = Number(result.run!.stdout.trim());
      // The default policy's pids limit is 128: the supervisor and the init hold two of them.
      expect(children).toBeGreaterThan(100);
      expect(result.run!.leftoverProcessesKilled).toBe(children);
      // The manifest needed a fresh process after the sweep: it has the program's own file.
      expect(result.scan!.artifacts.map((a) => a.name)).toContain('out.txt');
      return result;
    },
  );

  hostileCase(
    h,
    'S6 a fork bomb that keeps every pid taken cannot starve the supervisor of threads',
    async (h, marker) => {
      // While no pid is free, a runtime that needed one more thread died ("newosproc"), and the
      // container with it: about one bomb in two, before the supervisor kept threads in reserve.
      let result;
      for (let i = 0; i < 4; i++) {
        result = await h.run(
          {
            language: 'python',
            code: `import os
open("out.txt", "w").write("kept")
while True:
    try:
        os.fork()
    except OSError:
        pass`,
            limits: { timeoutMs: 3_000 },
          },
          marker,
        );
        expect(result).toMatchObject({ status: 'time_limit_exceeded', timeLimit: 'wall', error: null });
        // The container outlived the bomb: its manifest was read after the sweep.
        expect(result.scan!.artifacts.map((a) => a.name)).toContain('out.txt');
      }
      return result!;
    },
  );
});
