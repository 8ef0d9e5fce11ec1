/**
 * The image build's bookkeeping (scripts/images/): a failure names its image and step and carries the
 * command's own words; stale build folders of this machine are swept, others' are left alone; the
 * longest builds start first.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BuildScope, BuildStepError, runPool } from '../../scripts/images/steps';
import { BuildDurations, runDirFor, sweepStaleRuns } from '../../scripts/images/run-dirs';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-image-build-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('BuildScope', () => {
  test('a failed command fails its step with the image, the step and the tail of its output', async () => {
    const scope = new BuildScope('scanner', dir);
    const failure = scope.step('npm ci into /opt/airlock/scanner', () =>
      scope.run('sh', ['-c', 'echo "npm ERR! code EEXIST" >&2; exit 3']),
    );
    await expect(failure).rejects.toBeInstanceOf(BuildStepError);
    await expect(failure).rejects.toMatchObject({ image: 'scanner', step: 'npm ci into /opt/airlock/scanner' });
    const message = await failure.catch((err: Error) => err.message);
    expect(message).toMatch(
      /^scanner: step "npm ci into \/opt\/airlock\/scanner" failed: sh exited 3: npm ERR! code EEXIST/,
    );
    expect(message).toContain(scope.logFile);
  });

  test('the log holds every command, its whole output and each step’s time', async () => {
    const scope = new BuildScope('python', dir);
    const out = await scope.step('say hello', () => scope.run('sh', ['-c', 'echo hello; echo to-stderr >&2']), {
      quiet: true,
      timing: 'install',
    });
    expect(out).toBe('hello\n');
    const log = fs.readFileSync(scope.logFile, 'utf8');
    expect(log).toContain('### say hello');
    expect(log).toContain('$ sh -c echo hello; echo to-stderr >&2');
    expect(log).toContain('to-stderr');
    expect(log).toMatch(/### say hello: \d+\.\ds/);
    expect(scope.timings()).toMatch(/^install \d+\.\ds$/);
  });

  test('a thrown error inside a step is named too; an inner step keeps its own name', async () => {
    const scope = new BuildScope('java', dir);
    await expect(
      scope.step('check the version', () => {
        throw new Error('installed version 21.0.1 does not match the manifest’s 17');
      }),
    ).rejects.toThrow('java: step "check the version" failed: installed version 21.0.1');
    await expect(
      scope.step('outer', () => scope.step('inner', () => Promise.reject(new Error('no')), { quiet: true })),
    ).rejects.toMatchObject({ step: 'inner' });
  });
});

test('runPool runs every item though some fail, and returns every failure', async () => {
  const ran: number[] = [];
  const failures = await runPool([1, 2, 3, 4], 2, async (n) => {
    ran.push(n);
    if (n % 2 === 0) throw new Error(`item ${n}`);
  });
  expect(ran.sort()).toEqual([1, 2, 3, 4]);
  expect(failures.map((f) => (f as Error).message).sort()).toEqual(['item 2', 'item 4']);
});

describe('build folders', () => {
  test('a dead build of this machine is removed, a live one and another machine’s are kept', () => {
    const dead = path.join(dir, `run-${os.hostname()}-2147483646`);
    const live = runDirFor(dir, true);
    const otherMachine = path.join(dir, 'scratch-elsewhere-2147483646');
    const oldLayout = path.join(dir, 'base-bookworm-0123456789abcdef.tar');
    const kept = path.join(dir, 'cache');
    for (const d of [dead, live, otherMachine, kept]) fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(oldLayout, '');
    sweepStaleRuns(dir);
    expect(fs.readdirSync(dir).sort()).toEqual(
      [path.basename(kept), path.basename(live), 'scratch-elsewhere-2147483646'].sort(),
    );
  });

  test('the longest build starts first, and one never timed before goes ahead of all', () => {
    const file = path.join(dir, 'durations.json');
    const durations = new BuildDurations(file);
    durations.record('bash-5.2', 5_000);
    durations.record('java-21', 33_000);
    const defs = ['bash-5.2', 'new-1', 'java-21'].map((key) => ({ key }));
    expect(new BuildDurations(file).longestFirst(defs).map((d) => d.key)).toEqual(['new-1', 'java-21', 'bash-5.2']);
  });

  test('an unreadable durations file only loses the order', () => {
    const file = path.join(dir, 'durations.json');
    fs.writeFileSync(file, '{not json');
    const defs = ['a', 'b'].map((key) => ({ key }));
    expect(new BuildDurations(file).longestFirst(defs).map((d) => d.key)).toEqual(['a', 'b']);
  });
});
