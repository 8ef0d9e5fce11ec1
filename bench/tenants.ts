/**
 * Three tenants on one deployment, side by side in one run:
 *
 * - **burst** submits N executions at once (batches of 100), with no quota;
 * - **interactive** then submits 20 at once and waits for each; its time is compared with the same
 *   20 on the idle service, measured first in the same run (target: within 3x);
 * - **limited** has a quota of 4 executions in flight and sends 40 through the SDK at once, whose
 *   retries on 429 get them all through; the bench records the most it ever had in flight.
 *
 *   node dist/bench/tenants.js [--burst 500] [--interactive 20] [--url URL]
 *
 * Needs the service (npm start) on this machine: it makes the tenants' keys in its key file.
 */
import { parseArgs } from 'node:util';
import type { Airlock } from '../sdk/src';
import { benchClient, urlOption } from './client';
import { ApiKeyStore } from '../lib/node/api-keys';
import { loadConfig } from '../lib/node/config';
import { connectWithRetry, createClient } from '../lib/node/temporal';
import type { ExecutionResult } from '../lib/schemas/execution-result';
import { percentile, summarize, type Sample } from './stats';
import { quotaWorkflowId } from '../lib/quota-ids';
import { quotaUsageQuery } from '../workflows/messages';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const HELLO = { language: 'python', code: 'print("hello")' };

interface Interactive {
  makespanMs: number;
  samples: Sample[];
  results: ExecutionResult[];
}

async function interactive(client: Airlock, n: number): Promise<Interactive> {
  const started = performance.now();
  const results: ExecutionResult[] = [];
  const samples = await Promise.all(
    Array.from({ length: n }, async () => {
      const t0 = performance.now();
      const result = await client.executions.run(HELLO);
      results.push(result);
      return { ms: performance.now() - t0, ok: result.status === 'succeeded' };
    }),
  );
  return { makespanMs: performance.now() - started, samples, results };
}

/** Where the interactive tenant's time went: the median wait before its first stage, and of each stage. */
function breakdown(results: ExecutionResult[]): string {
  const median = (xs: number[]) =>
    percentile(
      [...xs].sort((a, b) => a - b),
      50,
    );
  const waits = results.map((r) => Date.parse(r.stages[0]!.startedAt ?? r.createdAt) - Date.parse(r.createdAt));
  const stages = ['gate', 'provision', 'run', 'scan', 'teardown'].map((name) => {
    const ms = results.map((r) => r.stages.find((s) => s.name === name)?.durationMs ?? 0);
    return `${name} ${median(ms).toFixed(0)}`;
  });
  return `to the first stage ${median(waits).toFixed(0)}, ${stages.join(', ')} (ms, medians)`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      burst: { type: 'string', default: '500' },
      interactive: { type: 'string', default: '20' },
      limited: { type: 'string', default: '40' },
      url: urlOption,
    },
  });
  const burstN = Number(values.burst);
  const interactiveN = Number(values.interactive);
  const limitedN = Number(values.limited);
  const url = values.url!;
  const keys = new ApiKeyStore();
  const made = ['bench-burst', 'bench-interactive', 'bench-limited'].map((tenant) => keys.create(tenant, 'bench'));
  keys.setQuotas('bench-limited', { executions: 4 });
  const [burst, inter] = made.map(({ key }) => benchClient(url, { apiKey: key })) as [Airlock, Airlock];
  const temporal = createClient(await connectWithRetry(loadConfig().temporal), loadConfig().namespace);
  try {
    await interactive(inter, 4); // warm
    const idle = await interactive(inter, interactiveN);

    // The burst, all at once; then the interactive tenant's 20 behind it.
    const burstStarted = performance.now();
    const ids: string[] = [];
    await Promise.all(
      Array.from({ length: Math.ceil(burstN / 100) }, async (_, b) => {
        const count = Math.min(100, burstN - b * 100);
        const batch = await burst.executions.createBatch(Array.from({ length: count }, () => HELLO));
        ids.push(...batch.map((execution) => execution.id));
      }),
    );
    const submittedMs = performance.now() - burstStarted;
    const loadedPromise = interactive(inter, interactiveN);

    // The limited tenant, through the SDK's retries; its quota workflow says what it holds.
    const sdk = benchClient(url, { apiKey: made[2]!.key, maxRetries: 200, retryBackoff: { maxMs: 2_000 } });
    const limitedStarted = performance.now();
    const limitedPromise = Promise.all(
      Array.from({ length: limitedN }, async () => (await sdk.executions.run(HELLO)).status === 'succeeded'),
    );
    let mostInFlight = 0;
    const quota = temporal.workflow.getHandle(quotaWorkflowId('bench-limited'));
    const watching = (async () => {
      for (let done = false; !done;) {
        done = await Promise.race([limitedPromise.then(() => true), sleep(100).then(() => false)]);
        const view = await quota.query(quotaUsageQuery).catch(() => undefined);
        mostInFlight = Math.max(mostInFlight, view?.usage.executions ?? 0);
      }
    })();

    const loaded = await loadedPromise;
    const limitedOk = await limitedPromise;
    await watching;
    const limitedMs = performance.now() - limitedStarted;
    const burstResults = await Promise.all(
      ids.map(async (id) => (await temporal.workflow.getHandle(id).result()) as ExecutionResult),
    );
    const burstMs = performance.now() - burstStarted;

    const idleS = summarize(idle.samples);
    const loadedS = summarize(loaded.samples);
    const lines = [
      `| tenant | what | figure |`,
      `|---|---|---|`,
      `| interactive | ${interactiveN} at once, idle service: makespan | ${idle.makespanMs.toFixed(0)} ms (p50 ${idleS.p50.toFixed(0)}, p95 ${idleS.p95.toFixed(0)}) |`,
      `| interactive | the same behind the burst: makespan | ${loaded.makespanMs.toFixed(0)} ms (p50 ${loadedS.p50.toFixed(0)}, p95 ${loadedS.p95.toFixed(0)}) |`,
      `| interactive | idle: where the time went | ${breakdown(idle.results)} |`,
      `| interactive | loaded: where the time went | ${breakdown(loaded.results)} |`,
      `| interactive | loaded / idle makespan (target <= 3) | **${(loaded.makespanMs / idle.makespanMs).toFixed(2)}x** |`,
      `| burst | ${burstN} submitted in | ${submittedMs.toFixed(0)} ms |`,
      `| burst | all ${burstN} finished in | ${(burstMs / 1000).toFixed(1)} s (${((burstN / burstMs) * 1000).toFixed(1)}/s; ${burstResults.filter((r) => r.status !== 'succeeded').length} not succeeded) |`,
      `| limited | ${limitedN} through the SDK under a quota of 4 | ${(limitedMs / 1000).toFixed(1)} s; most it held at once ${mostInFlight}; ${limitedOk.filter((ok) => !ok).length} not succeeded |`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    if (idleS.failed + loadedS.failed > 0)
      process.stdout.write(`interactive failures: ${idleS.failed + loadedS.failed}\n`);
  } finally {
    for (const { record } of made) keys.revoke(record.id);
    keys.setQuotas('bench-limited', {});
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
