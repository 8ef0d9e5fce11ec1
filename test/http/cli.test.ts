import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { spawn } from 'node:child_process';
import { PROJECT_ROOT } from '../../lib/paths';
import { createTestApi } from '../support/api';
import { TestCluster } from '../support/cluster';

let cluster: TestCluster;
let server: Server;
let url: string;
let apiKey: string;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-cli-'));

beforeAll(async () => {
  cluster = await TestCluster.start();
  const { app, key } = createTestApi(cluster);
  apiKey = key;
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await cluster?.stop();
});

function file(name: string, content: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return p;
}

function airlock(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'airlock'), ...args], {
      env: { ...process.env, AIRLOCK_URL: url, AIRLOCK_API_KEY: apiKey },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('airlock keys', () => {
  test('create, list and revoke keys in a key file; keys are printed once and stored as hashes', async () => {
    const keyFile = path.join(dir, 'keys.json');
    const created = await airlock('keys', '--file', keyFile, 'create', '--tenant', 'team-a', '--label', 'ci');
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^ak_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(fs.readFileSync(keyFile, 'utf8')).not.toContain(key);
    const id = key.split('_')[1]!;
    const listed = await airlock('keys', '--file', keyFile, 'list');
    expect(listed.stdout).toMatch(new RegExp(`${id}\\s+team-a\\s+\\S+\\s+active\\s+ci`));
    expect((await airlock('keys', '--file', keyFile, 'revoke', id)).code).toBe(0);
    expect((await airlock('keys', '--file', keyFile, 'list')).stdout).toMatch(new RegExp(`${id}.*revoked`));
    const unknown = await airlock('keys', '--file', keyFile, 'revoke', 'ffffffffffffffff');
    expect(unknown).toMatchObject({ code: 125, stderr: 'airlock: no key with id ffffffffffffffff\n' });
    const badTenant = await airlock('keys', '--file', keyFile, 'create', '--tenant', 'Team A');
    expect(badTenant.code).toBe(125);
  });

  test('bootstrap makes the first key once, saved owner-only', async () => {
    const keyFile = path.join(dir, 'boot-keys.json');
    const out = path.join(dir, 'api-key');
    expect((await airlock('keys', '--file', keyFile, 'bootstrap', '--out', out)).code).toBe(0);
    const key = fs.readFileSync(out, 'utf8').trim();
    expect(fs.statSync(out).mode & 0o777).toBe(0o600);
    expect((await airlock('keys', '--file', keyFile, 'bootstrap', '--out', out)).code).toBe(0);
    expect(fs.readFileSync(out, 'utf8').trim()).toBe(key);
    expect((await airlock('keys', '--file', keyFile, 'list')).stdout.trim().split('\n')).toHaveLength(2);
  });
});

describe('airlock run', () => {
  test("prints the program's output and exits with its exit code, language from the extension", async () => {
    const out = await airlock(
      'run',
      file('exit.py', 'import sys\nprint("out")\nprint("err", file=sys.stderr)\nsys.exit(7)'),
    );
    expect(out).toEqual({ code: 7, stdout: 'out\n', stderr: 'err\n' });
  });

  test('--stdin feeds a file and --lang overrides the extension', async () => {
    const program = file(
      'echo.txt',
      'process.stdin.on("data", (d) => process.stdout.write(d.toString().toUpperCase()))',
    );
    const out = await airlock('run', program, '--lang', 'javascript', '--stdin', file('in.txt', 'quiet\n'));
    expect(out).toEqual({ code: 0, stdout: 'QUIET\n', stderr: '' });
  });

  test('--timeout stops the program and exits 124', async () => {
    const out = await airlock('run', file('slow.py', 'import time\ntime.sleep(30)'), '--timeout', '1000');
    expect(out.code).toBe(124);
    expect(out.stderr).toContain('time limit exceeded (wall)');
  });

  test('usage errors and an unreachable service exit 125 with a reason', async () => {
    const unknown = await airlock('run', file('notes.xyz', 'x'));
    expect(unknown.code).toBe(125);
    expect(unknown.stderr).toMatch(/cannot infer the language of .*notes\.xyz.*pass --lang/);
    const missing = await airlock('run', path.join(dir, 'missing.py'));
    expect(missing).toMatchObject({ code: 125, stderr: expect.stringContaining('ENOENT') });
    const badTimeout = await airlock('run', file('t.py', 'print(1)'), '--timeout', 'soon');
    expect(badTimeout).toMatchObject({ code: 125, stderr: expect.stringContaining('--timeout must be') });
    const rejected = await airlock('run', file('r.py', 'print(1)'), '--timeout', '999999999');
    expect(rejected).toMatchObject({ code: 125, stderr: expect.stringContaining('limits.timeoutMs') });
    const down = await airlock('--url', 'http://127.0.0.1:9', 'run', file('d.py', 'print(1)'));
    expect(down).toMatchObject({ code: 125, stderr: expect.stringContaining('cannot reach Airlock') });
    const badKey = await airlock('--key', 'ak_0000000000000000_' + 'y'.repeat(43), 'run', file('k.py', 'print(1)'));
    expect(badKey).toMatchObject({ code: 125, stderr: 'airlock: invalid or revoked API key\n' });
  });
});
