import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadPolicies } from '../../lib/node/policies';
import { loadRuntimes, loadToolImages, runtimeForFile } from '../../lib/node/runtimes';
import { DefinitionError } from '../../lib/node/yaml-file';

function tempDir(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-defs-'));
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

const validPolicy = `name: default
limits:
  defaults: { timeoutMs: 1000, cpuTimeMs: 1000, memoryMb: 128, cpus: 1, pids: 64, openFiles: 64, fileSizeMb: 1, outputBytes: 1024, testTimeoutMs: 1000 }
  ceilings: { timeoutMs: 2000, cpuTimeMs: 2000, memoryMb: 256 }
`;
const strictProfile = fs.readFileSync(path.join(__dirname, '../../policies/seccomp/strict.json'), 'utf8');

/** A policies folder: the given files plus the shipped seccomp profile. */
function policyDir(files: Record<string, string>): string {
  return tempDir({ 'seccomp/strict.json': strictProfile, ...files });
}

describe('policies', () => {
  test('the shipped policies load, each with its content hash', () => {
    const policies = loadPolicies();
    const def = policies.get('default')!;
    expect(def.ref.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(def.policy.limits.defaults.timeoutMs).toBeLessThanOrEqual(def.policy.limits.ceilings.timeoutMs);
  });

  test('an invalid policy names the file, the path in it and the reason', () => {
    const dir = policyDir({ 'default.yaml': validPolicy.replace('pids: 64', 'pids: -1') });
    expect(() => loadPolicies(dir)).toThrow(DefinitionError);
    expect(() => loadPolicies(dir)).toThrow(
      `${path.join(dir, 'default.yaml')}: limits.defaults.pids: must be positive`,
    );
  });

  test('typos are errors, not silently ignored', () => {
    const dir = policyDir({ 'default.yaml': `${validPolicy}lanugages: [python]\n` });
    expect(() => loadPolicies(dir)).toThrow(/lanugages/);
  });

  test('defaults above ceilings, a name that does not match its file, and a missing default are errors', () => {
    expect(() =>
      loadPolicies(policyDir({ 'default.yaml': validPolicy.replace('timeoutMs: 2000', 'timeoutMs: 500') })),
    ).toThrow(/limits.defaults.timeoutMs: must not exceed/);
    expect(() => loadPolicies(policyDir({ 'default.yaml': validPolicy, 'x.yaml': validPolicy }))).toThrow(
      /x.yaml: name: must match/,
    );
    expect(() => loadPolicies(policyDir({ 'other.yaml': validPolicy.replace('default', 'other') }))).toThrow(
      /no "default" policy/,
    );
  });

  test('a policy naming a missing seccomp profile, or a profile that allows by default, is an error', () => {
    expect(() =>
      loadPolicies(policyDir({ 'default.yaml': `${validPolicy}sandbox: { seccompProfile: nope }\n` })),
    ).toThrow(/sandbox.seccompProfile: no profile seccomp\/nope.json/);
    const permissive = policyDir({
      'default.yaml': validPolicy,
      'seccomp/strict.json': strictProfile.replace('"SCMP_ACT_ERRNO"', '"SCMP_ACT_ALLOW"'),
    });
    expect(() => loadPolicies(permissive)).toThrow(/defaultAction: must deny/);
  });

  test('YAML syntax errors name the file', () => {
    const dir = policyDir({ 'default.yaml': 'name: [unclosed\n' });
    expect(() => loadPolicies(dir)).toThrow(path.join(dir, 'default.yaml'));
  });
});

describe('runtimes', () => {
  test('the shipped image definitions load', () => {
    const runtimes = loadRuntimes();
    expect(runtimes.languages().sort()).toEqual(expect.arrayContaining(['javascript', 'python']));
    expect(runtimeForFile(runtimes.all(), 'app.PY')?.manifest.name).toBe('python');
    expect(runtimeForFile(runtimes.all(), 'x.mjs')?.manifest.name).toBe('javascript');
    expect(runtimeForFile(runtimes.all(), 'x.cob')).toBeUndefined();
  });

  test('the definition hash changes with any file in the folder', () => {
    const manifest = fs.readFileSync(path.join(__dirname, '../../images/python/runtime.yaml'), 'utf8');
    const dir = tempDir({ 'python/runtime.yaml': manifest });
    const before = loadRuntimes(dir).get('python')!.definitionSha256;
    fs.writeFileSync(path.join(dir, 'python', 'extra.txt'), 'x');
    expect(loadRuntimes(dir).get('python')!.definitionSha256).not.toBe(before);
  });

  test("a definition's own files go only under /usr/local or /opt, never onto a Debian package's paths", () => {
    const manifest = fs.readFileSync(path.join(__dirname, '../../images/python/runtime.yaml'), 'utf8');
    for (const target of ['/usr/bin/python3', '/etc/passwd', '/usr/lib/node_modules/eslint/x.js']) {
      const dir = tempDir({
        'python/runtime.yaml': `${manifest}\nfiles:\n  ${target}: helper.py\n`,
        'python/helper.py': '',
      });
      expect(() => loadRuntimes(dir)).toThrow(`files.${target}: must be under /usr/local/ or /opt/`);
    }
    const dir = tempDir({
      'python/runtime.yaml': `${manifest}\nfiles:\n  /usr/local/lib/x.py: helper.py\n`,
      'python/helper.py': '',
    });
    expect(loadRuntimes(dir).get('python')!.manifest.files).toMatchObject({ '/usr/local/lib/x.py': 'helper.py' });
    // A version's own files are held to the same rule.
    const versioned = manifest.replace(
      '/usr/local/lib/python3.13/dist-packages/airlock_figures.py',
      '/usr/lib/python3/dist-packages/airlock_figures.py',
    );
    expect(() => loadRuntimes(tempDir({ 'python/runtime.yaml': versioned }))).toThrow(
      'must be under /usr/local/ or /opt/',
    );
  });

  test('every shipped image declares the files it adds under /usr/local or /opt, and the scanner its npm prefix', () => {
    const scanner = loadToolImages().get('scanner')!.manifest;
    expect(scanner.npm).toEqual({ prefix: '/opt/airlock/scanner' });
    expect(scanner.checks).toContainEqual(['airlock-scan', 'versions']);
    expect(scanner.debian.packages).not.toContain('npm');
  });
});
