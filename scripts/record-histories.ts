/**
 * Regenerates test/fixtures/histories: runs each scenario through a running Airlock (npm start)
 * and saves its workflow history. Re-record only for a deliberate, incompatible workflow change;
 * the replay test exists to catch the accidental ones.
 *
 *   node dist/scripts/record-histories.js [scenario ...]   (all of them by default)
 *
 * Name scenarios to add new fixtures without re-recording the rest: the old ones are what proves
 * that histories recorded by older code still replay.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../lib/node/paths';
import type { ExecutionRequest } from '../lib/schemas/execution-request';
import type { ExecutionResult } from '../lib/schemas/execution-result';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { loadConfig } from '../lib/node/config';
import { connectWithRetry, createClient } from '../lib/node/temporal';
import { decodeHistory } from '../lib/node/payload-codec';
import { Airlock } from '../sdk/src';
import { resolveApiKey } from '../lib/node/api-key-file';
import { ApiKeyStore } from '../lib/node/api-keys';
import { quotaWorkflowId } from '../lib/quota-ids';

const OUT = path.join(PROJECT_ROOT, 'test', 'fixtures', 'histories');
// $AIRLOCK_URL, else the embedded service; the key as the CLI finds it.
const airlock = new Airlock({ apiKey: resolveApiKey() });

const start = (request: ExecutionRequest) => airlock.executions.create(request);

async function until(id: string, done: (r: ExecutionResult) => boolean): Promise<ExecutionResult> {
  for (;;) {
    const result = await airlock.executions.get(id);
    if (done(result)) return result;
    await new Promise((r) => setTimeout(r, 200));
  }
}
const temporal = (async () => createClient(await connectWithRetry(loadConfig().temporal), loadConfig().namespace))();
/** Once the workflow has closed: its result is answered before teardown, its history ends after it. */
const finished = async (id: string): Promise<ExecutionResult> => {
  await (await temporal).workflow.getHandle(id).result();
  return airlock.executions.get(id);
};

/** A template with no packages: its build needs no network. */
const TEMPLATE_SPEC = {
  name: 'fixture-template',
  runtime: { language: 'python' },
  files: [{ path: '/opt/fixture/hello.txt', content: 'hello\n' }],
  env: { FIXTURE: '1' },
  setup: 'echo set up',
};

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
    await airlock.executions.handle(id).cancel();
    return id;
  },
  'gate-blocked': async () =>
    (await start({ language: 'python', policy: 'strict', code: 'import subprocess\nKEY = "AKIAIOSFODNN7EXAMPLE"\n' }))
      .id,
  // Output over more than the flush interval: outputChunk signals in history, gates run concurrently.
  'streamed-output': async () =>
    (
      await start({
        language: 'python',
        code: 'import time\nfor i in range(3):\n    print(i, flush=True)\n    time.sleep(0.4)',
      })
    ).id,
  'approved-after-warning': async () => {
    const { id } = await start({ language: 'python', policy: 'strict', code: 'print(eval("6*7"))' });
    await until(id, (r) => r.status === 'awaiting_approval');
    await airlock.executions.handle(id).approve({ reviewer: 'fixture-reviewer', comment: 'literal eval' });
    return id;
  },
  // Answered through ?wait=true (update-with-start) as soon as the outcome was decided, before teardown.
  'answered-before-teardown': async () =>
    (await airlock.executions.run({ language: 'python', code: 'print("early")' })).id,
  // The run stage returns the manifest of the files the program wrote (no collectArtifacts activity).
  'run-with-manifest': async () =>
    (
      await airlock.executions.run({
        language: 'python',
        code: 'open("out.txt", "w").write("written")\nprint("wrote")',
      })
    ).id,
  // Approved by a reviewer's key (never the submitter's), and sealed.
  'approved-by-key-sealed': async () => {
    const { id } = await start({ language: 'python', policy: 'strict', code: 'print(eval("6*7"))' });
    await until(id, (r) => r.status === 'awaiting_approval');
    const reviewer = new ApiKeyStore().create('default', 'fixture reviewer', { scopes: ['approve'] }).key;
    await new Airlock({ apiKey: reviewer }).executions.handle(id).approve({ comment: 'literal eval' });
    return id;
  },
  // Over its tenant's quota with overQuota queue: it waits for its lease, then runs and gives it back.
  'templated-execution': async () => {
    const info = await airlock.templates.build(TEMPLATE_SPEC);
    return (await start({ language: 'python', template: info.id, code: 'import os\nprint(os.environ["FIXTURE"])' })).id;
  },
  'queued-for-lease': async () => {
    const keys = new ApiKeyStore();
    const before = keys.tenantBinding('default')?.quotas ?? {};
    keys.setQuotas('default', { executions: 1, overQuota: 'queue' });
    try {
      const first = await start({ language: 'python', code: 'import time\ntime.sleep(1)' });
      const { id } = await start({ language: 'python', code: 'print("my turn")' });
      await finished(first.id);
      return id;
    } finally {
      keys.setQuotas('default', before);
    }
  },
};

/** A sandbox through its life: files, a streamed step, a retried step, a failing one, close. */
async function sandboxSession(): Promise<string> {
  const sbx = await airlock.sandboxes.create({ language: 'python', files: [{ path: 'seed.txt', content: 'seed' }] });
  await sbx.files.write('data/in.txt', '21');
  await sbx.run("import time\nprint('start', flush=True)\ntime.sleep(0.6)\nprint(int(open('data/in.txt').read()) * 2)");
  await sbx.run('print(1)', { idempotencyKey: 'fixture-step' });
  await sbx.run('print(1)', { idempotencyKey: 'fixture-step' });
  await sbx.exec('exit 3');
  await sbx.files.list('data');
  await sbx.files.readText('data/in.txt');
  await sbx.files.remove('data/in.txt');
  await sbx.close();
  return sbx.id;
}

/** Code steps whose code rides with the message that runs it: interpreted, then compiled. */
async function sandboxCodeWithRun(): Promise<string> {
  const sbx = await airlock.sandboxes.create({ language: 'c' });
  await sbx.run('#include <stdio.h>\nint main(void){puts("compiled");return 0;}');
  await sbx.run('int main(void){return 4;}');
  await sbx.run('not C at all');
  await sbx.close();
  return sbx.id;
}

/** A close while a step runs: the step is cancelled and answers why. */
async function sandboxClosedMidStep(): Promise<string> {
  const sbx = await airlock.sandboxes.create({ language: 'python' });
  const running = sbx.exec('sleep 60');
  while ((await sbx.refresh()).status !== 'busy') await new Promise((r) => setTimeout(r, 100));
  await sbx.close();
  await running;
  return sbx.id;
}

/** Steps that draw, write nothing new, and change a file: each returns only what it changed. */
async function sandboxStepArtifacts(): Promise<string> {
  const sbx = await airlock.sandboxes.create({ language: 'python' });
  await sbx.run(
    'import matplotlib.pyplot as plt\nplt.plot([1, 2], [3, 4])\nplt.show()\nopen("t.csv", "w").write("x\\n1\\n")',
  );
  await sbx.run('print(1)');
  await sbx.files.write('in.json', '{}');
  await sbx.run('open("t.csv", "w").write("x\\n2\\n")');
  await sbx.close();
  return sbx.id;
}

/** A template's whole life: built, used by a sandbox, refused deletion while used, then deleted. */
async function templateLife(): Promise<string> {
  const info = await airlock.templates.build(TEMPLATE_SPEC);
  const sbx = await airlock.sandboxes.create({ language: 'python', template: info.id });
  await sbx.run('print(open("/opt/fixture/hello.txt").read())');
  await airlock.templates.delete(info.id).catch(() => undefined);
  await sbx.close();
  for (;;) {
    const deleted = await airlock.templates.delete(info.id).catch(() => null);
    if (deleted) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return `template:default:${info.id}`;
}

const sandboxScenarios: Record<string, () => Promise<string>> = {
  'sandbox-session': sandboxSession,
  'sandbox-code-with-run': sandboxCodeWithRun,
  'sandbox-closed-mid-step': sandboxClosedMidStep,
  'sandbox-step-artifacts': sandboxStepArtifacts,
  'template-life': templateLife,
};

async function main(): Promise<void> {
  fs.mkdirSync(OUT, { recursive: true });
  const wanted = process.argv.slice(2);
  const chosen = (name: string) => wanted.length === 0 || wanted.includes(name);
  for (const [name, scenario] of Object.entries(sandboxScenarios).filter(([n]) => chosen(n))) {
    const id = await scenario();
    const history = await (await temporal).workflow.getHandle(id).fetchHistory();
    fs.writeFileSync(path.join(OUT, `${name}.json`), historyToJSON(await decodeHistory(history)));
    process.stdout.write(`${name}: closed (${id})\n`);
  }
  for (const [name, scenario] of Object.entries(scenarios).filter(([n]) => chosen(n))) {
    const id = await scenario();
    const result = await finished(id);
    fs.writeFileSync(path.join(OUT, `${name}.json`), await airlock.executions.handle(id).report('history'));
    process.stdout.write(`${name}: ${result.status} (${id})\n`);
  }
  // The quota workflow that granted, queued and released those leases (still running: its history so far).
  if (chosen('tenant-quota')) {
    const history = await (await temporal).workflow.getHandle(quotaWorkflowId('default')).fetchHistory();
    fs.writeFileSync(path.join(OUT, 'tenant-quota.json'), historyToJSON(await decodeHistory(history)));
    process.stdout.write(`tenant-quota: ${history.events?.length ?? 0} events\n`);
  }
}

main().then(
  // The Temporal connection would keep the process alive.
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`record-histories: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
