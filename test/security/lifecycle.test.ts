import { hostileCase, useHostileHarness } from './harness';
import { spawnSync } from 'node:child_process';
import { containersOf, eventually } from '../support/docker';

const h = useHostileHarness();

describe('hostile: lifecycle', () => {
  hostileCase(
    h,
    'L1 a process tree ignoring SIGTERM is gone promptly when the execution is cancelled',
    async (h, marker) => {
      const { cluster } = h;
      const { executionId } = await cluster.submit({
        language: 'python',
        code: `import os, signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
for _ in range(5):
    if os.fork() == 0:
        break
print("ready", flush=True)
time.sleep(3600)`,
        args: [marker],
        limits: { timeoutMs: 120_000 },
      });
      await cluster.waitForStage(executionId, 'run', 'running');
      const cancelledAt = Date.now();
      await cluster.executions.cancel(executionId, 'default');
      const result = await cluster.result(executionId);
      expect(result.status).toBe('cancelled');
      expect(Date.now() - cancelledAt).toBeLessThan(10_000);
      return result;
    },
  );

  hostileCase(h, 'L2 a zombie storm is reaped by the init and never exhausts the pids limit', async (h, marker) => {
    const { result, out } = await h.probe(
      `spawned = 0
for _ in range(500):
    child = os.fork()
    if child == 0:
        if os.fork() == 0:
            os._exit(0)   # orphaned: the container's init must reap it
        os._exit(0)
    os.waitpid(child, 0)
    spawned += 1
import time
time.sleep(0.2)
zombies = 0
for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
    try:
        if open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] == "Z":
            zombies += 1
    except OSError:
        pass
report(spawned=spawned, zombies=zombies)`,
      marker,
    );
    expect(result.status).toBe('succeeded');
    // 500 orphans through a 128-pid limit is only possible if each one is reaped.
    expect(out.spawned).toBe(500);
    expect(out.zombies).toBeLessThanOrEqual(2);
    return result;
  });

  hostileCase(h, 'L3 a file left behind is not there for the next execution', async (h, marker) => {
    const { result, out } = await h.probe(
      `for p in ("/tmp/left-behind", "/workspace/left-behind", "/dev/shm/left-behind"):
    open(p, "w").write("${marker}")
report(written=True)`,
      marker,
    );
    expect(out.written).toBe(true);
    // expectUnaffected then runs the next execution and finds /tmp and /dev/shm empty and only main.py here.
    return result;
  });

  hostileCase(
    h,
    'L4 a host worker killed mid-run: its restart resumes the run, which runs once and loses nothing',
    async (h, marker) => {
      const { cluster } = h;
      // A second start of the program in the same sandbox would find the mark it leaves in /tmp.
      const { executionId } = await cluster.submit({
        language: 'python',
        code: `import os, sys, time
if os.path.exists("/tmp/started"):
    print("STARTED TWICE", flush=True)
open("/tmp/started", "w").close()
print("before", flush=True)
while not os.path.exists("/tmp/go"):
    time.sleep(0.05)
    if time.time() - os.stat("/tmp/started").st_mtime > 6:
        break
print("after", flush=True)`,
        args: [marker],
        limits: { timeoutMs: 60_000 },
      });
      await cluster.waitForStage(executionId, 'run', 'running');
      // The program itself must be running: a worker killed before its task arrived lost nothing,
      // and the retry would rightly run the program then.
      await eventually('the program to run', async () => spawnSync('pgrep', ['-f', marker]).status === 0, 30_000);
      await cluster.restartHost({ reaperIntervalMs: 2_000 });
      // The restarted worker attaches to the running sandbox at once, before the stage's retry comes.
      await eventually(
        'the restarted host to re-attach',
        async () => /"reattached":[1-9]\d*,.*re-attached to the sandboxes running here/.test(cluster.host.logText()),
        20_000,
      );
      const result = await cluster.result(executionId);
      // The stage's retry reaches the restarted worker, which asks the sandbox's supervisor for the
      // run by its key: the supervisor hands over the run it has, output so far included.
      expect(result.status).toBe('succeeded');
      expect(result.run?.stdout).toBe('before\nafter\n');
      expect(await containersOf(cluster.docker, executionId)).toEqual([]);
      return result;
    },
  );

  hostileCase(
    h,
    'L6 a host worker killed during the third case: its restart resumes every case, each run once',
    async (h, marker) => {
      const { cluster } = h;
      // Each case adds its number to a log and prints the log: a case run again would print more.
      const { executionId } = await cluster.submit({
        language: 'python',
        code: `import os, sys, time
with open("/tmp/log", "a") as f:
    f.write(sys.stdin.read().strip() + " ")
if sys.argv[1].startswith("third"):
    time.sleep(6)
print(open("/tmp/log").read().strip())`,
        cases: [
          { stdin: '1', args: [`first-${marker}`], expectedStdout: '1' },
          { stdin: '2', args: [`second-${marker}`], expectedStdout: '1 2' },
          { stdin: '3', args: [`third-${marker}`], expectedStdout: '1 2 3' },
        ],
        limits: { timeoutMs: 30_000 },
      });
      await cluster.waitForStage(executionId, 'run', 'running');
      await eventually(
        'the third case to run',
        async () => spawnSync('pgrep', ['-f', `third-${marker}`]).status === 0,
        30_000,
      );
      await cluster.restartHost({ reaperIntervalMs: 2_000 });
      const result = await cluster.result(executionId);
      // The retry asks for the first two cases by their keys and gets them as they ran, then follows the third.
      expect(result.status).toBe('succeeded');
      expect(result.cases?.map((c) => c.stdout)).toEqual(['1\n', '1 2\n', '1 2 3\n']);
      expect(await containersOf(cluster.docker, executionId)).toEqual([]);
      return result;
    },
  );

  hostileCase(h, 'L5 a daemon started by the run stage does not outlive it', async (h, marker) => {
    const result = await h.run(
      {
        language: 'python',
        code: `import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        while True:
            with open("/tmp/daemon.log", "a") as f:
                f.write("x")
            time.sleep(0.05)
    os._exit(0)
time.sleep(0.3)
print("started a daemon")`,
        tests: { command: 'a=$(wc -c < /tmp/daemon.log); sleep 0.5; b=$(wc -c < /tmp/daemon.log); test "$a" = "$b"' },
      },
      marker,
    );
    expect(result.status).toBe('succeeded');
    expect(result.run?.leftoverProcessesKilled).toBe(1);
    expect(result.tests?.exitCode).toBe(0);
    return result;
  });
});
