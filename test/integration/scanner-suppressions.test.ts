/**
 * Static analysis the analyzed code cannot switch off, on the real scanner image: for each analyzer,
 * every suppression form a submission could carry (in-code comments, a submitted configuration, a
 * file name the analyzer would skip) leaves the finding in place; a file the analyzer cannot read,
 * and a workspace that did not reach the scanner whole, fail the gate closed.
 */
import crypto from 'node:crypto';
import Docker from 'dockerode';
import { DefaultLogger } from '@temporalio/worker';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createStaticAnalysisActivity, type StaticAnalysisInput } from '../../activities/host/static-analysis/activity';
import type { HostActivityDeps } from '../../activities/host/types';
import { loadSeccompProfiles } from '../../lib/node/seccomp';
import type { GateResult } from '../../lib/schemas/findings';
import { TEST_CLUSTER } from '../support/test-env';
import { testSupervisor } from '../support/docker';

const docker = new Docker();
const profiles = loadSeccompProfiles();
const strict = profiles.get('strict')!;
let runStaticAnalysis: ReturnType<typeof createStaticAnalysisActivity>['runStaticAnalysis'];

beforeAll(async () => {
  ({ runStaticAnalysis } = createStaticAnalysisActivity({
    docker,
    hostId: 'scanner-test',
    cluster: TEST_CLUSTER,
    seccompProfiles: profiles,
    supervisor: await testSupervisor(),
  } as unknown as HostActivityDeps));
});

type Files = Record<string, string>;

async function scan(language: string, files: Files, entrypoint: string | null = null): Promise<GateResult> {
  const input: StaticAnalysisInput = {
    executionId: `ex_${crypto.randomBytes(16).toString('hex')}`,
    language,
    files: Object.entries(files).map(([path, content]) => ({ path, content, encoding: 'utf8' as const })),
    entrypoint,
    gate: { enabled: true, blockAt: 'high', warnAt: 'medium' },
    sandbox: { runtime: 'runc', seccompProfile: { name: 'strict', sha256: strict.sha256 } },
    deadlineAt: Date.now() + 120_000,
  };
  const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
  return (await env.run(runStaticAnalysis, input)) as GateResult;
}

const rules = (result: GateResult) => result.findings.map((f) => `${f.location?.path}:${f.ruleId}`);

describe('bandit (Python)', () => {
  const shell = 'import subprocess\nsubprocess.call(input(), shell=True)';
  test.each<[string, Files, string | null, string]>([
    ['no suppression', { 'main.py': `${shell}\n` }, 'main.py', 'main.py:B602'],
    ['# nosec', { 'main.py': `${shell}  # nosec\n` }, 'main.py', 'main.py:B602'],
    ['# nosec B602', { 'main.py': `${shell}  # nosec B602\n` }, 'main.py', 'main.py:B602'],
    [
      'a submitted .bandit',
      { 'main.py': `${shell}\n`, '.bandit': '[bandit]\nskips: B602\nexclude: main.py\n' },
      'main.py',
      'main.py:B602',
    ],
    [
      'pyproject.toml settings',
      { 'main.py': `${shell}\n`, 'pyproject.toml': '[tool.bandit]\nskips = ["B602"]\n' },
      'main.py',
      'main.py:B602',
    ],
    [
      'a folder bandit skips by default',
      { '.tox/evil.py': `${shell}\n`, 'main.py': 'import evil\n' },
      'main.py',
      '.tox/evil.py:B602',
    ],
    ['an entrypoint without an extension', { prog: `${shell}\n` }, 'prog', 'prog:B602'],
    [
      'a #! python file without an extension',
      { tool: `#!/usr/bin/env python3\n${shell}\n`, 'main.py': '' },
      'main.py',
      'tool:B602',
    ],
  ])('%s: the finding stays', async (_what, files, entrypoint, expected) => {
    const result = await scan('python', files, entrypoint);
    expect(rules(result)).toContain(expected);
    expect(result.verdict).toBe('block');
    expect(result.error).toBeNull();
  });

  test('a file bandit cannot parse fails the gate closed, naming it', async () => {
    const result = await scan('python', { 'main.py': 'print(1)\n', 'broken.py': 'def (:\n' }, 'main.py');
    expect(result).toMatchObject({
      verdict: 'block',
      error: expect.stringContaining('bandit could not analyze broken.py'),
    });
  });
});

describe('eslint (JavaScript, TypeScript)', () => {
  const evil = 'eval(process.argv[2]);';
  test.each<[string, string, Files, string | null, string]>([
    ['no suppression', 'javascript', { 'main.js': `${evil}\n` }, 'main.js', 'main.js:no-eval'],
    [
      '/* eslint-disable */',
      'javascript',
      { 'main.js': `/* eslint-disable */\n${evil}\n` },
      'main.js',
      'main.js:no-eval',
    ],
    [
      'eslint-disable-next-line',
      'javascript',
      { 'main.js': `// eslint-disable-next-line no-eval\n${evil}\n` },
      'main.js',
      'main.js:no-eval',
    ],
    [
      'eslint-disable-line',
      'typescript',
      { 'main.ts': `${evil} // eslint-disable-line\n` },
      'main.ts',
      'main.ts:no-eval',
    ],
    [
      '/* eslint no-eval: off */',
      'javascript',
      { 'main.js': `/* eslint no-eval: "off" */\n${evil}\n` },
      'main.js',
      'main.js:no-eval',
    ],
    [
      'a submitted eslint.config.js',
      'javascript',
      { 'main.js': `${evil}\n`, 'eslint.config.js': 'export default [{ ignores: ["**/*"] }];\n' },
      'main.js',
      'main.js:no-eval',
    ],
    [
      'a file under node_modules',
      'javascript',
      { 'node_modules/x/index.js': `${evil}\n`, 'main.js': "require('x');\n" },
      'main.js',
      'node_modules/x/index.js:no-eval',
    ],
    ['an entrypoint without an extension', 'javascript', { prog: `${evil}\n` }, 'prog', 'prog:no-eval'],
    [
      'a #! node file without an extension',
      'javascript',
      { tool: `#!/usr/bin/env node\n${evil}\n`, 'main.js': '' },
      'main.js',
      'tool:no-eval',
    ],
  ])('%s (%s): the finding stays', async (_what, language, files, entrypoint, expected) => {
    const result = await scan(language, files, entrypoint);
    expect(rules(result)).toContain(expected);
    expect(result.verdict).toBe('block');
    expect(result.error).toBeNull();
  });

  test('a file eslint cannot parse fails the gate closed, naming it', async () => {
    const result = await scan('javascript', { 'main.js': 'let = ;\n' }, 'main.js');
    expect(result).toMatchObject({
      verdict: 'block',
      error: expect.stringContaining('eslint could not parse main.js:1'),
    });
  });
});

describe('shellcheck (Bash)', () => {
  // SC2115: rm -rf on a variable that may be empty, which would delete from the root.
  const wipe = 'rm -rf "$TARGET/"';
  test.each<[string, Files, string | null, string]>([
    ['no suppression', { 'main.sh': `${wipe}\n` }, 'main.sh', 'main.sh:SC2115'],
    ['# shellcheck disable=', { 'main.sh': `# shellcheck disable=SC2115\n${wipe}\n` }, 'main.sh', 'main.sh:SC2115'],
    [
      'a file-wide disable=all',
      { 'main.sh': `#!/bin/bash\n# shellcheck disable=all\n${wipe}\n` },
      'main.sh',
      'main.sh:SC2115',
    ],
    ['a trailing directive', { 'main.sh': `${wipe} # shellcheck disable=SC2115\n` }, 'main.sh', 'main.sh:SC2115'],
    [
      'a submitted .shellcheckrc',
      { 'main.sh': `${wipe}\n`, '.shellcheckrc': 'disable=all\n' },
      'main.sh',
      'main.sh:SC2115',
    ],
    ['an entrypoint without an extension', { prog: `${wipe}\n` }, 'prog', 'prog:SC2115'],
    [
      'a #! bash file without an extension',
      { tool: `#!/bin/bash\n${wipe}\n`, 'main.sh': 'true\n' },
      'main.sh',
      'tool:SC2115',
    ],
  ])('%s: the finding stays', async (_what, files, entrypoint, expected) => {
    const result = await scan('bash', files, entrypoint);
    expect(rules(result)).toContain(expected);
    expect(result.error).toBeNull();
  });
});

describe('flawfinder (C, C++)', () => {
  const copy = 'char b[8]; strcpy(b, argv[1]);';
  const program = (line: string) =>
    `#include <string.h>\nint main(int argc, char **argv) {\n  ${line}\n  return 0;\n}\n`;
  test.each<[string, string]>([
    ['no suppression', copy],
    ['/* Flawfinder: ignore */', `${copy} /* Flawfinder: ignore */`],
    ['// flawfinder: ignore', `${copy} // flawfinder: ignore`],
    ['/* ITS4: ignore */', `${copy} /* ITS4: ignore */`],
    ['/* RATS: ignore */', `${copy} /* RATS: ignore */`],
  ])('%s: the finding stays', async (_what, line) => {
    const result = await scan('c', { 'main.c': program(line) }, 'main.c');
    expect(result.findings.some((f) => f.location?.path === 'main.c' && f.location.line === 3)).toBe(true);
    expect(result.verdict).toBe('block');
  });
});

test('a workspace that does not reach the scanner whole fails the gate closed', async () => {
  // "a" as a file and as a folder: the archive cannot be unpacked whole.
  const result = await scan('python', { a: 'x = 1\n', 'a/b.py': 'import os\n', 'main.py': 'print(1)\n' }, 'main.py');
  expect(result).toMatchObject({ verdict: 'block', error: expect.stringContaining('did not all reach the scanner') });
});
