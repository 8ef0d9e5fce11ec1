/**
 * Airlock against plain `docker run --rm` and the llm-sandbox library, in one run, on the same image
 * and the same programs: hello-world latency, throughput at several concurrencies, and a workload of
 * small Python functions with assertions. Writes every figure to a JSON file and prints tables.
 *
 *   node dist/bench/compare.js [--targets airlock,docker,llm-sandbox] [--latency-runs 100]
 *     [--latency-gap-ms 200] [--concurrency 1,4,16,64] [--throughput-runs 64] [--workload-size 150]
 *     [--workload-concurrency 8] [--warmup 3] [--settle-ms 1500] [--url URL] [--image IMAGE]
 *     [--python python3] [--venv DIR] [--out FILE]
 *
 * With the defaults a run makes about 1,100 executions. On a 2-core machine shared with other work
 * (load average 22 to 34) it took 15 minutes; it is mostly waiting on Docker, so it shortens as the
 * load falls. Smaller counts (--latency-runs 20 --throughput-runs 16 --workload-size 30) give a quick check.
 *
 * A run counts as passed only when the program exited 0 and printed exactly what was expected.
 * Airlock needs the service (npm start); its key comes from $AIRLOCK_API_KEY or .airlock/api-key.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import * as prettier from 'prettier';
import { benchClient, urlOption } from './client';
import { PROJECT_ROOT } from '../lib/node/paths';
import { DEFAULT_VENV, LlmSandboxTarget } from './compare-llm-sandbox';
import {
  type CompareResults,
  type Failure,
  type LatencyResult,
  type ThroughputResult,
  type WorkloadResult,
  tables,
} from './compare-results';
import { AirlockTarget, DockerRunTarget, TARGET_NAMES, type Target, type TargetName } from './compare-targets';
import { workload } from './compare-workload';
import { summarize, type Sample, type Summary } from './stats';
import { PYTHON_IMAGE } from './images';

const run = promisify(execFile);

interface Job {
  item: string;
  code: string;
  expectedStdout: string;
}

const HELLO: Job = { item: 'hello', code: 'print("hello")', expectedStdout: 'hello\n' };

interface Measured {
  samples: Sample[];
  failures: Failure[];
  wallMs: number;
}

/** Runs the jobs with `concurrency` of them in flight at a time, each timed from request to result. */
async function closedLoop(target: Target, jobs: Job[], concurrency: number): Promise<Measured> {
  const samples: Sample[] = [];
  const failures: Failure[] = [];
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      const started = performance.now();
      const outcome = await target.run(job.code);
      const ok = outcome.exitCode === 0 && outcome.stdout === job.expectedStdout;
      samples.push({ ms: performance.now() - started, ok });
      if (!ok) {
        const detail = outcome.error ?? `exit ${outcome.exitCode}, stdout ${JSON.stringify(outcome.stdout)}`;
        failures.push({ item: job.item, detail: detail.slice(0, 500) });
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));
  return { samples, failures, wallMs: performance.now() - started };
}

/**
 * Percentiles of the runs that succeeded, with every run counted in `n` and `failed`: a failure is
 * often instant (the service unreachable) and would otherwise pull the percentiles down.
 */
function summarizeSucceeded(samples: Sample[]): Summary {
  const succeeded = samples.filter((x) => x.ok);
  if (succeeded.length === 0) return summarize(samples);
  return { ...summarize(succeeded), n: samples.length, failed: samples.length - succeeded.length };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line: string) => process.stderr.write(`${line}\n`);

function integer(name: string, raw: string, min = 1): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer >= ${min}, got "${raw}"`);
  return value;
}

function options() {
  const { values } = parseArgs({
    options: {
      targets: { type: 'string', default: TARGET_NAMES.join(',') },
      'latency-runs': { type: 'string', default: '100' },
      'latency-gap-ms': { type: 'string', default: '200' },
      concurrency: { type: 'string', default: '1,4,16,64' },
      'throughput-runs': { type: 'string', default: '64' },
      'workload-size': { type: 'string', default: '150' },
      'workload-concurrency': { type: 'string', default: '8' },
      warmup: { type: 'string', default: '3' },
      'settle-ms': { type: 'string', default: '1500' },
      url: { ...urlOption },
      image: { type: 'string', default: PYTHON_IMAGE },
      python: { type: 'string', default: 'python3' },
      venv: { type: 'string', default: DEFAULT_VENV },
      out: {
        type: 'string',
        default: path.join(PROJECT_ROOT, 'bench', 'results', `compare-${new Date().toISOString().slice(0, 10)}.json`),
      },
    },
  });
  const targets = values.targets!.split(',').map((t) => t.trim());
  for (const t of targets) {
    if (!(TARGET_NAMES as readonly string[]).includes(t)) throw new Error(`unknown target "${t}"`);
  }
  return {
    targets: targets as TargetName[],
    latencyRuns: integer('latency-runs', values['latency-runs']!),
    latencyGapMs: integer('latency-gap-ms', values['latency-gap-ms']!, 0),
    concurrency: values.concurrency!.split(',').map((c) => integer('concurrency', c)),
    throughputRuns: integer('throughput-runs', values['throughput-runs']!),
    workloadSize: integer('workload-size', values['workload-size']!),
    workloadConcurrency: integer('workload-concurrency', values['workload-concurrency']!),
    warmup: integer('warmup', values.warmup!, 0),
    settleMs: integer('settle-ms', values['settle-ms']!, 0),
    url: values.url!,
    image: values.image!,
    python: values.python!,
    venv: values.venv!,
    out: path.resolve(values.out!),
  };
}
type Options = ReturnType<typeof options>;

async function startTarget(name: TargetName, opts: Options): Promise<Target> {
  switch (name) {
    case 'airlock': {
      const client = benchClient(opts.url);
      const health = await fetch(`${opts.url}/readyz`).catch((err: unknown) => String(err));
      if (typeof health === 'string' || !health.ok)
        throw new Error(`Airlock is not ready at ${opts.url}: run npm start`);
      return new AirlockTarget(client);
    }
    case 'docker':
      return new DockerRunTarget(opts.image);
    case 'llm-sandbox':
      return LlmSandboxTarget.start({
        venv: opts.venv,
        python: opts.python,
        image: opts.image,
        maxWorkers: Math.max(...opts.concurrency, opts.workloadConcurrency),
      });
  }
}

async function environment(opts: Options, llmSandbox: string | null) {
  const text = async (cmd: string, args: string[]) =>
    (await run(cmd, args, { cwd: PROJECT_ROOT }).catch(() => ({ stdout: 'unknown' }))).stdout.trim();
  const dirty = (await text('git', ['status', '--porcelain'])) === '' ? '' : ' (with uncommitted changes)';
  return {
    cpus: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    docker: await text('docker', ['version', '--format', '{{.Server.Version}}']),
    image: opts.image,
    imageId: await text('docker', ['image', 'inspect', '--format', '{{.Id}}', opts.image]),
    airlockCommit: `${await text('git', ['rev-parse', '--short', 'HEAD'])}${dirty}`,
    llmSandbox,
  };
}

const hello = (n: number): Job[] => Array<Job>(n).fill(HELLO);

async function warmUp(targets: Target[], runs: number): Promise<void> {
  log(`warming up (${runs} runs each)`);
  for (const target of targets) {
    const warm = await closedLoop(target, hello(runs), 1);
    if (warm.failures.length > 0) throw new Error(`${target.name} failed to warm up: ${warm.failures[0]!.detail}`);
  }
}

/**
 * Sequential runs, interleaved and starting with a different target each round, so drift hits all
 * alike. The pause after each run lets work a target leaves in the background (Airlock refilling its
 * warm pool) finish before the next target is timed.
 */
async function measureLatency(targets: Target[], runs: number, gapMs: number): Promise<LatencyResult[]> {
  log(`latency: ${runs} sequential runs each`);
  const measured = targets.map(() => ({ samples: [] as Sample[], failures: [] as Failure[] }));
  for (let round = 0; round < runs; round++) {
    for (let k = 0; k < targets.length; k++) {
      const index = (round + k) % targets.length;
      const one = await closedLoop(targets[index]!, [HELLO], 1);
      measured[index]!.samples.push(...one.samples);
      measured[index]!.failures.push(...one.failures);
      await sleep(gapMs);
    }
  }
  return targets.map((t, i) => {
    const { samples, failures } = measured[i]!;
    return { target: t.name, summary: summarizeSucceeded(samples), samplesMs: samples.map((x) => x.ms), failures };
  });
}

async function measureThroughput(targets: Target[], opts: Options): Promise<ThroughputResult[]> {
  const results: ThroughputResult[] = [];
  for (const concurrency of opts.concurrency) {
    for (const target of targets) {
      log(`throughput: ${target.name}, concurrency ${concurrency}, ${opts.throughputRuns} runs`);
      // Lets the previous target's clean-up (container removal, pool refills) finish first.
      await sleep(opts.settleMs);
      const m = await closedLoop(target, hello(opts.throughputRuns), concurrency);
      results.push({
        target: target.name,
        concurrency,
        executions: opts.throughputRuns,
        wallMs: m.wallMs,
        perSecond: (m.samples.filter((x) => x.ok).length / m.wallMs) * 1000,
        summary: summarizeSucceeded(m.samples),
        failures: m.failures,
      });
    }
  }
  return results;
}

async function measureWorkload(targets: Target[], opts: Options): Promise<WorkloadResult[]> {
  const jobs: Job[] = workload(opts.workloadSize).map((w) => ({ item: w.name, ...w }));
  const results: WorkloadResult[] = [];
  for (const target of targets) {
    log(`workload: ${target.name}, ${jobs.length} items, concurrency ${opts.workloadConcurrency}`);
    await sleep(opts.settleMs);
    const m = await closedLoop(target, jobs, opts.workloadConcurrency);
    results.push({
      target: target.name,
      items: jobs.length,
      concurrency: opts.workloadConcurrency,
      wallMs: m.wallMs,
      passed: m.samples.filter((x) => x.ok).length,
      summary: summarizeSucceeded(m.samples),
      failures: m.failures,
    });
  }
  return results;
}

async function main(): Promise<void> {
  const opts = options();
  const startedAt = new Date();
  const loadStart = os.loadavg()[0]!;
  const targets: Target[] = [];
  // Every target must find the image locally; none may reach for a registry.
  await run('docker', ['image', 'inspect', opts.image]).catch(() => {
    throw new Error(`${opts.image} is not a local image: npm start builds it`);
  });
  try {
    for (const name of opts.targets) targets.push(await startTarget(name, opts));
    const llm = targets.find((t) => t instanceof LlmSandboxTarget);
    const env = await environment(opts, llm?.version ?? null);
    await warmUp(targets, opts.warmup);
    const latency = await measureLatency(targets, opts.latencyRuns, opts.latencyGapMs);
    const throughput = await measureThroughput(targets, opts);
    const workloadResults = await measureWorkload(targets, opts);

    const results: CompareResults = {
      schema: 'airlock-bench-compare/1',
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      environment: { ...env, loadAverage: { start: loadStart, end: os.loadavg()[0]! } },
      options: { ...opts, venv: undefined, out: undefined },
      targets: targets.map((t) => ({ name: t.name, description: t.description })),
      latency,
      throughput,
      workload: workloadResults,
    };
    await writeResults(opts.out, results);
    process.stdout.write(`${tables(results).join('\n')}\nResults: ${path.relative(process.cwd(), opts.out)}\n`);
    if ([...latency, ...throughput, ...workloadResults].some((r) => r.failures.length > 0)) process.exitCode = 1;
  } finally {
    await Promise.all(targets.map((t) => t.close()));
  }
}

/** Formatted as the repository's prettier config would, so a committed results file stays lint-clean. */
async function writeResults(file: string, results: CompareResults): Promise<void> {
  const rounded = JSON.stringify(results, (_key, value: unknown) =>
    typeof value === 'number' && !Number.isInteger(value) ? Math.round(value * 100) / 100 : value,
  );
  const config = (await prettier.resolveConfig(file)) ?? {};
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, await prettier.format(rounded, { ...config, parser: 'json' }));
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
