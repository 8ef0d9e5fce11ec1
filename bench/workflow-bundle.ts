/**
 * What loading zod into the workflow bundle would cost, measured rather than guessed: the bundle as
 * built, against the same workflows with the API's request schemas imported as values. For each, the
 * code size (without the inline source map), and, in a fresh process per round (alternating), the
 * replay of every recorded fixture: the first replay (bundle load included), all of them, and RSS.
 *
 *   node dist/bench/workflow-bundle.js [--rounds N]
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { PROJECT_ROOT } from '../lib/node/paths';
import { FAILURE_CONVERTER_PATH, workerDataConverter } from '../lib/node/temporal';
import { WORKFLOW_INTERCEPTOR_MODULES } from '../workers/workflow-bundle';
import { percentile } from './stats';

const FIXTURES = path.join(PROJECT_ROOT, 'test', 'fixtures', 'histories');
const OUT = path.join(PROJECT_ROOT, '.airlock', 'bench', 'workflow-bundle');
const VARIANTS = ['as built', 'with zod schemas'] as const;

interface Round {
  firstMs: number;
  allMs: number;
  rssMb: number;
}

/** The workflows' entry, plus the schemas the validators would parse with, as values. */
const WITH_SCHEMAS = `export * from ${JSON.stringify(require.resolve('../workflows'))};
const { SandboxExecRequest, SandboxCreateRequest } = require(${JSON.stringify(require.resolve('../lib/schemas/sandbox'))});
const { DecisionRequest } = require(${JSON.stringify(require.resolve('../lib/schemas/approval'))});
export const schemas = [SandboxExecRequest, SandboxCreateRequest, DecisionRequest];
`;

async function build(): Promise<number[]> {
  fs.mkdirSync(OUT, { recursive: true });
  const entry = path.join(OUT, 'with-schemas.js');
  fs.writeFileSync(entry, WITH_SCHEMAS);
  const sizes: number[] = [];
  for (const [i, workflowsPath] of [require.resolve('../workflows'), entry].entries()) {
    const { code } = await bundleWorkflowCode({
      workflowsPath,
      workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
      failureConverterPath: FAILURE_CONVERTER_PATH,
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} },
    });
    fs.writeFileSync(path.join(OUT, `${i}.js`), code);
    const map = code.lastIndexOf('//# sourceMappingURL');
    sizes.push(map < 0 ? code.length : map);
  }
  return sizes;
}

/** One round in this (fresh) process: every fixture but the quota workflow's, which is still running. */
async function replayAll(variant: number): Promise<Round> {
  const code = fs.readFileSync(path.join(OUT, `${variant}.js`), 'utf8');
  const files = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.json') && f !== 'tenant-quota.json');
  const started = performance.now();
  let firstMs = 0;
  for (const [i, file] of files.entries()) {
    const history = historyFromJSON(JSON.parse(fs.readFileSync(path.join(FIXTURES, file), 'utf8')));
    await Worker.runReplayHistory({ workflowBundle: { code }, dataConverter: workerDataConverter() }, history, file);
    if (i === 0) firstMs = performance.now() - started;
  }
  return { firstMs, allMs: performance.now() - started, rssMb: process.memoryUsage().rss / 1e6 };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { rounds: { type: 'string', default: '5' }, child: { type: 'string' } },
  });
  if (values.child !== undefined) {
    process.stdout.write(JSON.stringify(await replayAll(Number(values.child))));
    return;
  }
  const sizes = await build();
  const rounds: Round[][] = [[], []];
  for (let r = 0; r < Number(values.rounds); r++) {
    for (const v of [0, 1]) {
      const { stdout } = await promisify(execFile)(process.execPath, [__filename, '--child', String(v)]);
      rounds[v]!.push(JSON.parse(stdout) as Round);
    }
  }
  const p50 = (xs: number[]) =>
    percentile(
      [...xs].sort((a, b) => a - b),
      50,
    );
  const lines = [
    '| workflow bundle | code KB | first replay p50 ms | all fixtures p50 ms | RSS p50 MB |',
    '| --- | --- | --- | --- | --- |',
  ];
  VARIANTS.forEach((name, v) => {
    const rs = rounds[v]!;
    lines.push(
      `| ${name} | ${(sizes[v]! / 1024).toFixed(0)} | ${p50(rs.map((r) => r.firstMs)).toFixed(0)} | ` +
        `${p50(rs.map((r) => r.allMs)).toFixed(0)} | ${p50(rs.map((r) => r.rssMb)).toFixed(0)} |`,
    );
  });
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
