// A command through the stock E2B SDK (`commands.run`) against the same command as a native
// sandbox step (POST /v1/sandboxes/:id/exec) and `docker exec` into a plain running container of
// the same image, side by side in one run (alternating, so drift hits each alike). Also
// Sandbox.create + kill against `docker run -d` + `docker rm -f`. An ES module: the e2b package is.
//
//   npm run build && node bench/e2b-latency.mjs [--steps N] [--creates M] [--url URL]
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { parseArgs, promisify } from 'node:util';
import { Sandbox } from 'e2b';
import stats from '../dist/bench/stats.js';
import images from '../dist/bench/images.js';
import client from '../dist/bench/client.js';

const { summarize, table, timed, ratio } = stats;
const run = promisify(execFile);
const CODE = 'print("hello")';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '30' },
    creates: { type: 'string', default: '10' },
    url: client.urlOption,
  },
});
const native = client.benchClient(values.url);
process.env.E2B_API_URL = values.url;
process.env.E2B_SANDBOX_URL = values.url;
process.env.E2B_API_KEY =
  process.env.AIRLOCK_API_KEY ?? fs.readFileSync(new URL('../.airlock/api-key', import.meta.url), 'utf8').trim();

const e2b = await Sandbox.create('python');
const sbx = await native.sandboxes.create({ language: 'python' });
const plain = (
  await run('docker', ['run', '-d', '--network', 'none', images.PYTHON_IMAGE, 'sleep', 'infinity'])
).stdout.trim();
const samples = { e2b: [], native: [], docker: [] };
try {
  await e2b.commands.run(`python3 -c '${CODE}'`);
  await sbx.exec(['python3', '-c', CODE]);
  await run('docker', ['exec', plain, 'python3', '-c', CODE]);
  for (let i = 0; i < Number(values.steps); i++) {
    samples.e2b.push(
      await timed(
        () => e2b.commands.run(`python3 -c '${CODE}'`),
        (r) => r.stdout === 'hello\n',
      ),
    );
    samples.native.push(
      await timed(
        () => sbx.exec(['python3', '-c', CODE]),
        (r) => r.process?.stdout === 'hello\n',
      ),
    );
    samples.docker.push(
      await timed(
        () => run('docker', ['exec', plain, 'python3', '-c', CODE]),
        (r) => r.stdout === 'hello\n',
      ),
    );
  }
} finally {
  await e2b.kill();
  await sbx.close();
  await run('docker', ['rm', '-f', plain]);
}

const createE2b = [];
const createDocker = [];
for (let i = 0; i < Number(values.creates); i++) {
  createE2b.push(
    await timed(async () => {
      const s = await Sandbox.create('python');
      await s.kill();
      return true;
    }, Boolean),
  );
  createDocker.push(
    await timed(async () => {
      const id = (
        await run('docker', ['run', '-d', '--network', 'none', images.PYTHON_IMAGE, 'sleep', 'infinity'])
      ).stdout.trim();
      await run('docker', ['rm', '-f', id]);
      return true;
    }, Boolean),
  );
}

const rows = [
  ['command, E2B SDK commands.run', summarize(samples.e2b), undefined],
  ['command, native sandbox step', summarize(samples.native), undefined],
  ['command, docker exec', summarize(samples.docker), undefined],
  ['create + kill, E2B SDK', summarize(createE2b), undefined],
  ['create + remove, docker run -d / rm -f', summarize(createDocker), undefined],
];
console.log(table(rows).join('\n'));
const [a, n, d, c, cd] = rows.map((r) => r[1]);
console.log(`Ratio E2B / docker exec, command: p50 ${ratio(a.p50, d.p50)}, p95 ${ratio(a.p95, d.p95)}`);
console.log(`Ratio E2B / native step, command: p50 ${ratio(a.p50, n.p50)}, p95 ${ratio(a.p95, n.p95)}`);
console.log(`Ratio E2B / docker run, create: p50 ${ratio(c.p50, cd.p50)}, p95 ${ratio(c.p95, cd.p95)}`);
