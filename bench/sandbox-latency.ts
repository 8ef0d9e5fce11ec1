/**
 * Latency of a sandbox step (Python hello world in a sandbox that already exists) through the
 * Airlock API, against `docker exec` into a plain running container of the same image, measured
 * side by side in one run (alternating, so drift hits both equally). Also sandbox creation
 * against `docker run -d` + `docker rm -f`.
 *
 *   node dist/bench/sandbox-latency.js [--steps N] [--creates M] [--url URL]
 */
import { execFile } from 'node:child_process';
import { promisify, parseArgs } from 'node:util';
import { benchClient, urlOption } from './client';
import { ratio, summarize, table, timed, type Sample } from './stats';
import { PYTHON_IMAGE } from './images';

const run = promisify(execFile);
const IMAGE = PYTHON_IMAGE;
const CODE = 'print("hello")';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      steps: { type: 'string', default: '30' },
      creates: { type: 'string', default: '10' },
      url: urlOption,
    },
  });
  const airlock = benchClient(values.url);

  const sbx = await airlock.sandboxes.create({ language: 'python' });
  const plain = (await run('docker', ['run', '-d', '--network', 'none', IMAGE, 'sleep', 'infinity'])).stdout.trim();
  const stepApi: Sample[] = [];
  const stepDocker: Sample[] = [];
  try {
    // Warm both paths.
    await sbx.run(CODE);
    await run('docker', ['exec', plain, 'python3', '-c', CODE]);
    for (let i = 0; i < Number(values.steps); i++) {
      stepApi.push(
        await timed(
          () => sbx.run(CODE),
          (r) => r.process?.stdout === 'hello\n',
        ),
      );
      stepDocker.push(
        await timed(
          () => run('docker', ['exec', plain, 'python3', '-c', CODE]),
          (r) => r.stdout === 'hello\n',
        ),
      );
    }
  } finally {
    await sbx.close();
    await run('docker', ['rm', '-f', plain]);
  }

  const createApi: Sample[] = [];
  const createDocker: Sample[] = [];
  for (let i = 0; i < Number(values.creates); i++) {
    createApi.push(
      await timed(
        async () => {
          const s = await airlock.sandboxes.create({ language: 'python' });
          const status = s.info.status;
          await s.close();
          return status;
        },
        (status) => status === 'ready',
      ),
    );
    createDocker.push(
      await timed(
        async () => {
          const id = (
            await run('docker', ['run', '-d', '--network', 'none', IMAGE, 'sleep', 'infinity'])
          ).stdout.trim();
          await run('docker', ['rm', '-f', id]);
          return id;
        },
        (id) => id.length > 0,
      ),
    );
  }

  const rows: Parameters<typeof table>[0] = [
    ['step, Airlock sandbox', summarize(stepApi), undefined],
    ['step, docker exec', summarize(stepDocker), undefined],
    ['create + close, Airlock sandbox', summarize(createApi), undefined],
    ['create + remove, docker run -d / rm -f', summarize(createDocker), undefined],
  ];
  const lines = table(rows);
  lines.push(
    '',
    `Ratio Airlock / docker exec, step: p50 ${ratio(rows[0]![1].p50, rows[1]![1].p50)}, p95 ${ratio(rows[0]![1].p95, rows[1]![1].p95)}`,
    `Ratio Airlock / docker run, create: p50 ${ratio(rows[2]![1].p50, rows[3]![1].p50)}, p95 ${ratio(rows[2]![1].p95, rows[3]![1].p95)}`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
  if (rows.some(([, s]) => s.failed > 0)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${String(err)}\n`);
  process.exit(1);
});
