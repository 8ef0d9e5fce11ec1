/**
 * Regenerates test/fixtures/histories: runs each scenario through a running Airlock (npm start)
 * and saves its workflow history. Re-record only for a deliberate, incompatible workflow change;
 * the replay test exists to catch the accidental ones.
 *
 *   node dist/scripts/record-histories.js
 */
import fs from 'node:fs';
import path from 'node:path';
import { ApiClient, resolveApiKey } from '../cli/api-client';
import { PROJECT_ROOT } from '../lib/paths';
import type { ExecutionRequest } from '../lib/schemas/execution-request';
import type { ExecutionResult } from '../lib/schemas/execution-result';

const OUT = path.join(PROJECT_ROOT, 'test', 'fixtures', 'histories');
const client = new ApiClient(process.env.AIRLOCK_URL ?? 'http://127.0.0.1:8080', resolveApiKey(undefined));

const start = (request: ExecutionRequest) => client.post<{ id: string }>('/v1/executions', request);

async function until(id: string, done: (r: ExecutionResult) => boolean): Promise<ExecutionResult> {
  for (;;) {
    const result = await client.result(id);
    if (done(result)) return result;
    await new Promise((r) => setTimeout(r, 200));
  }
}
const finished = (id: string) => until(id, (r) => r.finishedAt !== null);

const scenarios: Record<string, () => Promise<string>> = {
  'succeeded-with-tests': async () =>
    (
      await start({
        language: 'python',
        code: 'import sys\nprint(sys.stdin.read())',
        stdin: 'replay me',
        tests: { files: [{ path: 'test_x.py', content: 'def test_x():\n    assert True\n' }] },
      })
    ).id,
  'compiled-cases-wrong-answer': async () =>
    (
      await start({
        language: 'c',
        code: '#include <stdio.h>\nint main(void){int n;scanf("%d",&n);printf("%d\\n",n*2);return 0;}',
        cases: [
          { stdin: '2', expectedStdout: '4' },
          { stdin: '3', expectedStdout: '7' },
        ],
      })
    ).id,
  'cancelled-mid-run': async () => {
    const { id } = await start({ language: 'python', code: 'import time\ntime.sleep(60)' });
    await until(id, (r) => r.stages.find((s) => s.name === 'run')?.outcome === 'running');
    await client.post(`/v1/executions/${id}/cancel`, {});
    return id;
  },
  'gate-blocked': async () =>
    (await start({ language: 'python', policy: 'strict', code: 'import subprocess\nKEY = "AKIAIOSFODNN7EXAMPLE"\n' }))
      .id,
  'approved-after-warning': async () => {
    const { id } = await start({ language: 'python', policy: 'strict', code: 'print(eval("6*7"))' });
    await until(id, (r) => r.status === 'awaiting_approval');
    await client.post(`/v1/executions/${id}/approve`, { reviewer: 'fixture-reviewer', comment: 'literal eval' });
    return id;
  },
};

async function main(): Promise<void> {
  fs.mkdirSync(OUT, { recursive: true });
  for (const [name, scenario] of Object.entries(scenarios)) {
    const id = await scenario();
    const result = await finished(id);
    fs.writeFileSync(path.join(OUT, `${name}.json`), await client.text(`/v1/executions/${id}/history`));
    process.stdout.write(`${name}: ${result.status} (${id})\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`record-histories: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
