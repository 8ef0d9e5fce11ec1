// A coding agent's inner loop against an Airlock sandbox: run the tests, read the failure, patch,
// run again. A real agent would ask a model for each patch; here a fixed list of candidate patches
// stands in for the model, so the example runs without one and shows the same traffic.
import { Airlock, type Sandbox, type StepResult } from '../sdk/src';

const BUGGY_CALC = `def add(a, b):
    return a - b


def mean(xs):
    return sum(xs) / len(xs)
`;

const TESTS = `import pytest
from calc import add, mean


def test_add():
    assert add(2, 3) == 5


def test_mean():
    assert mean([1, 2, 3]) == 2


def test_mean_of_nothing():
    with pytest.raises(ValueError):
        mean([])
`;

interface Patch {
  /** The failing test this patch claims to fix: the loop only tries patches aimed at a current failure. */
  fixes: string;
  /** What the model would say about it. */
  note: string;
  find: string;
  replace: string;
}

// In the order a model might propose them. The first is wrong on purpose: the loop must notice that
// the test still fails and move on, which is the point of running the tests after every edit.
const CANDIDATE_PATCHES: Patch[] = [
  { fixes: 'test_add', note: 'swap the operands', find: 'return a - b', replace: 'return b - a' },
  { fixes: 'test_add', note: 'add instead of subtracting', find: 'return b - a', replace: 'return a + b' },
  {
    fixes: 'test_mean_of_nothing',
    note: 'reject an empty list',
    find: '    return sum(xs) / len(xs)',
    replace: '    if not xs:\n        raise ValueError("mean of an empty list")\n    return sum(xs) / len(xs)',
  },
];

const MAX_ROUNDS = 5;
// -rf prints one `FAILED file::test - reason` line per failure: the part of the output the agent reads.
const PYTEST = ['python3', '-m', 'pytest', '-q', '-rf', '-p', 'no:cacheprovider', 'test_calc.py'];

/** Names of the failing tests, read from pytest's short summary. */
function failingTests(step: StepResult): string[] {
  const output = step.process?.stdout ?? '';
  return [...output.matchAll(/^FAILED test_calc\.py::(\w+)/gm)].map((m) => m[1]!);
}

async function applyPatch(sbx: Sandbox, patch: Patch): Promise<boolean> {
  // Read the file back rather than keeping a local copy: the sandbox is the source of truth, as it
  // would be if the agent's tools also edited files there.
  const source = await sbx.files.readText('calc.py');
  if (!source.includes(patch.find)) return false;
  await sbx.files.write('calc.py', source.replace(patch.find, patch.replace));
  return true;
}

async function main(): Promise<void> {
  // AIRLOCK_URL and AIRLOCK_API_KEY come from the environment (see README.md).
  const airlock = new Airlock();
  // Ctrl-C cancels whatever call is in flight, including a backoff wait, and still reaches `finally`.
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  const { signal } = controller;

  const sbx = await airlock.sandboxes.create({ language: 'python', idleTimeoutSeconds: 120 }, { signal });
  console.log(`sandbox ${sbx.id} ready on ${sbx.info.host ?? 'a host'}`);
  try {
    await sbx.files.write('calc.py', BUGGY_CALC, { signal });
    await sbx.files.write('test_calc.py', TESTS, { signal });

    const untried = [...CANDIDATE_PATCHES];
    let passed = false;
    for (let round = 1; round <= MAX_ROUNDS; round++) {
      const step = await sbx.exec(PYTEST, { timeoutSeconds: 60, signal });
      const failing = failingTests(step);
      console.log(`round ${round}: ${step.status}${failing.length ? `, failing: ${failing.join(', ')}` : ''}`);
      passed = step.status === 'succeeded';
      if (passed) break;
      if (failing.length === 0) {
        // Not a test failure (syntax error, gate rejection): a model would read this; the script stops.
        throw new Error(`tests did not run:\n${step.error?.message ?? step.process?.stdout ?? ''}`);
      }

      const index = untried.findIndex((p) => failing.includes(p.fixes));
      if (index < 0) throw new Error(`no candidate patch left for ${failing.join(', ')}`);
      const [patch] = untried.splice(index, 1);
      const applied = await applyPatch(sbx, patch!);
      console.log(`  patch for ${patch!.fixes} (${patch!.note}): ${applied ? 'applied' : 'does not apply'}`);
    }

    if (!passed) throw new Error(`tests still failing after ${MAX_ROUNDS} rounds`);

    // The final run streamed as it happens: what an agent UI would show while a long step runs.
    console.log('final run, streamed:');
    const final = await sbx.start({ command: [...PYTEST, '-v'], timeoutSeconds: 60 }, { signal });
    for await (const event of final.events({ signal })) {
      if (event.type === 'stdout' || event.type === 'stderr') process.stdout.write(event.data.text);
    }
    const result = await final.result({ signal });
    console.log(`final status: ${result.status}`);
    process.exitCode = result.status === 'succeeded' ? 0 : 1;
  } finally {
    // Not left to the idle timeout: a sandbox holds a container on a host until it is closed.
    await sbx.close();
    console.log(`sandbox ${sbx.id} closed`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
