/**
 * CPU time per execution, Airlock against `docker run --rm`, side by side in one run: the same
 * hello-world program N times at a fixed concurrency, the machine's busy CPU counted from before
 * the first request until the machine is idle again (so teardown and the warm pool's refill are
 * counted too), and split by the long-lived processes that spent it. On a machine whose cores are
 * all busy, throughput is cores divided by this figure.
 *
 *   node dist/bench/cpu-cost.js [--runs 48] [--concurrency 8] [--rounds 2] [--url URL] [--image IMAGE]
 */
import fs from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { benchClient, urlOption } from './client';
import { AirlockTarget, DockerRunTarget, type Target } from './compare-targets';
import { PYTHON_IMAGE } from './images';

const TICK_MS = 1000 / 100; // USER_HZ
const HELLO = 'print("hello")';

/** Busy CPU of the whole machine, in ms. */
function machineBusyMs(): number {
  const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = fields as number[];
  return (user! + nice! + system! + irq! + softirq! + steal!) * TICK_MS;
}

/** Each live process's CPU so far (ms), keyed by pid, with the name it is counted under. */
function processCpu(): Map<number, { name: string; ms: number }> {
  const out = new Map<number, { name: string; ms: number }>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ms = (Number(rest[11]) + Number(rest[12])) * TICK_MS; // utime, stime
      out.set(Number(entry), { name: nameOf(Number(entry), comm), ms });
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

/** Node processes are told apart by their script; the rest by their command name. */
function nameOf(pid: number, comm: string): string {
  if (pid === process.pid) return 'this benchmark (client)';
  if (comm !== 'node') return comm.startsWith('temporal') ? 'temporal server' : comm;
  const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  const script = argv.find((a) => a.endsWith('.js')) ?? 'node';
  return `node ${script.split('/').slice(-2).join('/')} ${argv[argv.indexOf(script) + 1] ?? ''}`.trim();
}

/** Waits until the machine has been nearly idle for a second (at most 20 s): the work's tail is counted. */
async function untilIdle(): Promise<void> {
  const cores = os.cpus().length;
  const until = Date.now() + 20_000;
  let before = machineBusyMs();
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = machineBusyMs();
    if (now - before < 0.05 * 1000 * cores) return;
    before = now;
  }
}

async function measure(target: Target, runs: number, concurrency: number) {
  await untilIdle();
  const busy0 = machineBusyMs();
  const procs0 = processCpu();
  const started = Date.now();
  let next = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < runs) {
        next++;
        const outcome = await target.run(HELLO);
        if (outcome.exitCode !== 0 || outcome.stdout !== 'hello\n') failed++;
      }
    }),
  );
  const wallMs = Date.now() - started;
  await untilIdle();
  const busyMs = machineBusyMs() - busy0;
  const byName = new Map<string, number>();
  for (const [pid, { name, ms }] of processCpu()) {
    const spent = ms - (procs0.get(pid)?.ms ?? 0);
    if (spent > 0 && procs0.has(pid)) byName.set(name, (byName.get(name) ?? 0) + spent);
  }
  const counted = [...byName.values()].reduce((a, b) => a + b, 0);
  byName.set('short-lived (runc, shims, the programs, docker CLI)', Math.max(0, busyMs - counted));
  return { target: target.name, runs, failed, wallMs, cpuMsPerRun: busyMs / runs, byName };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '48' },
      concurrency: { type: 'string', default: '8' },
      rounds: { type: 'string', default: '2' },
      url: urlOption,
      image: { type: 'string', default: PYTHON_IMAGE },
    },
  });
  const targets: Target[] = [new DockerRunTarget(values.image!), new AirlockTarget(benchClient(values.url))];
  const runs = Number(values.runs);
  const concurrency = Number(values.concurrency);
  // Alternating rounds, so drift hits both equally.
  for (let round = 1; round <= Number(values.rounds); round++) {
    for (const target of targets) {
      const m = await measure(target, runs, concurrency);
      process.stdout.write(
        `\n${m.target}, round ${round}: ${m.runs} runs (${m.failed} failed) in ${(m.wallMs / 1000).toFixed(1)} s, ` +
          `${m.cpuMsPerRun.toFixed(0)} ms CPU per run\n`,
      );
      const rows = [...m.byName].filter(([, ms]) => ms / m.runs >= 1).sort((a, b) => b[1] - a[1]);
      for (const [name, ms] of rows) process.stdout.write(`  ${(ms / m.runs).toFixed(0).padStart(5)} ms  ${name}\n`);
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
