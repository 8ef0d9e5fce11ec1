/**
 * End-to-end latency of Python hello world through the Airlock API, against plain `docker run --rm`
 * on the same image, measured side by side in one run (alternating, so drift hits both equally).
 *
 *   node dist/bench/latency.js [--sequential N] [--concurrent M] [--url URL]
 *
 * The API key comes from $AIRLOCK_API_KEY or the embedded default's .airlock/api-key.
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import type { Airlock } from '../sdk/src';
import { benchClient, urlOption } from './client';
import { ratio, summarize, table, type Sample } from './stats';
import { PYTHON_IMAGE } from './images';

const CODE = 'print("hello")';
const IMAGE = PYTHON_IMAGE;

async function viaApi(client: Airlock): Promise<Sample> {
  const started = performance.now();
  const result = await client.executions.run({ language: 'python', code: CODE }).catch(() => undefined);
  return { ms: performance.now() - started, ok: result?.status === 'succeeded' && result.run?.stdout === 'hello\n' };
}

function viaDockerRun(): Promise<Sample> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn('docker', ['run', '--rm', '--network', 'none', IMAGE, 'python3', '-c', CODE]);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => resolve({ ms: performance.now() - started, ok: code === 0 && out === 'hello\n' }));
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sequential: { type: 'string', default: '30' },
      concurrent: { type: 'string', default: '8' },
      url: urlOption,
    },
  });
  const sequential = Number(values.sequential);
  const concurrent = Number(values.concurrent);
  const client = benchClient(values.url);

  // Warm both paths: first runs pay for page cache and JIT.
  await viaApi(client);
  await viaDockerRun();

  const seqApi: Sample[] = [];
  const seqDocker: Sample[] = [];
  for (let i = 0; i < sequential; i++) {
    seqApi.push(await viaApi(client));
    seqDocker.push(await viaDockerRun());
  }

  const burst = async (fn: () => Promise<Sample>) => {
    const started = performance.now();
    const samples = await Promise.all(Array.from({ length: concurrent }, fn));
    return { samples, wallMs: performance.now() - started };
  };
  const conApi = await burst(() => viaApi(client));
  const conDocker = await burst(viaDockerRun);

  const rows: Array<[string, ReturnType<typeof summarize>, number | undefined]> = [
    [`sequential, Airlock API`, summarize(seqApi), undefined],
    [`sequential, docker run --rm`, summarize(seqDocker), undefined],
    [`${concurrent} concurrent, Airlock API`, summarize(conApi.samples), conApi.wallMs],
    [`${concurrent} concurrent, docker run --rm`, summarize(conDocker.samples), conDocker.wallMs],
  ];
  const lines = table(rows);
  lines.push(
    '',
    `Ratio Airlock / docker run, sequential: p50 ${ratio(rows[0]![1].p50, rows[1]![1].p50)}, p95 ${ratio(rows[0]![1].p95, rows[1]![1].p95)}`,
    `Ratio Airlock / docker run, concurrent: p50 ${ratio(rows[2]![1].p50, rows[3]![1].p50)}, p95 ${ratio(rows[2]![1].p95, rows[3]![1].p95)}`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
  if (rows.some(([, s]) => s.failed > 0)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${String(err)}\n`);
  process.exit(1);
});
