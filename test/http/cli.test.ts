import crypto from 'node:crypto';
import fs from 'node:fs';
import http, { type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../lib/node/config';
import { createTestApi } from '../support/api';
import { runCli, type CliRun } from '../support/cli';
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

function airlock(...args: string[]): Promise<CliRun> {
  return runCli({ url, apiKey }, ...args);
}

const sha256 = (text: string) => crypto.createHash('sha256').update(text, 'utf8').digest('hex');

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
    expect(listed.stdout).toMatch(new RegExp(`${id}\\s+team-a\\s+\\S+\\s+active\\s+submit\\s+any \\[default\\]\\s+ci`));
    expect((await airlock('keys', '--file', keyFile, 'revoke', id)).code).toBe(0);
    expect((await airlock('keys', '--file', keyFile, 'list')).stdout).toMatch(new RegExp(`${id}.*revoked`));
    const unknown = await airlock('keys', '--file', keyFile, 'revoke', 'ffffffffffffffff');
    expect(unknown).toMatchObject({ code: 125, stderr: 'airlock: no key with id ffffffffffffffff\n' });
    const badTenant = await airlock('keys', '--file', keyFile, 'create', '--tenant', 'Team A');
    expect(badTenant.code).toBe(125);
  });

  test('scopes and policy bindings: for a key, for a tenant; unknown names are refused', async () => {
    const keyFile = path.join(dir, 'scoped-keys.json');
    const keys = (...args: string[]) => airlock('keys', '--file', keyFile, ...args);
    const reviewer = await keys('create', '--tenant', 'team-b', '--label', 'alice', '--scopes', 'approve');
    expect(reviewer.stderr).toMatch(/\(scopes approve\)/);
    const ci = await keys('create', '--tenant', 'team-b', '--policies', 'ci-gate,strict', '--default-policy', 'strict');
    expect(ci.code).toBe(0);
    expect((await keys('tenant', 'team-b', '--policies', 'strict')).code).toBe(0);
    const agent = await keys('create', '--tenant', 'team-b', '--label', 'agent');
    const listed = (await keys('list')).stdout;
    const line = (key: string) => listed.split('\n').find((l) => l.startsWith(key.trim().split('_')[1]!))!;
    expect(line(reviewer.stdout)).toMatch(/\sapprove\s+strict \[strict\]\s+alice$/);
    expect(line(ci.stdout)).toMatch(/\ssubmit\s+ci-gate,strict \[strict\]/);
    expect(line(agent.stdout)).toMatch(/\ssubmit\s+strict \[strict\]\s+agent$/);
    expect(await keys('create', '--tenant', 'team-b', '--scopes', 'root')).toMatchObject({
      code: 125,
      stderr: 'airlock: --scopes: unknown scope "root"; known: submit, approve, admin, codec\n',
    });
    expect((await keys('create', '--tenant', 'team-b', '--policies', 'lax')).stderr).toMatch(/no policy named "lax"/);
    expect((await keys('tenant', 'team-b', '--policies', 'strict', '--default-policy', 'default')).stderr).toMatch(
      /must be one of --policies/,
    );
    expect((await keys('tenant', 'team-b', '--clear')).code).toBe(0);
    expect((await keys('list')).stdout).toMatch(/\ssubmit\s+any \[default\]\s+agent\n/);
  });

  test("quotas for a tenant: set some, keep the rest and the tenant's policies; bad values name their flag", async () => {
    const keyFile = path.join(dir, 'quota-keys.json');
    const keys = (...args: string[]) => airlock('keys', '--file', keyFile, ...args);
    const shown = async () => JSON.parse((await keys('quota', 'team-q')).stdout) as { quotas: object };
    expect((await keys('tenant', 'team-q', '--policies', 'strict')).code).toBe(0);
    expect(
      (await keys('quota', 'team-q', '--executions', '4', '--memory-mb', '2048', '--over-quota', 'queue')).code,
    ).toBe(0);
    expect((await keys('quota', 'team-q', '--rate', '2.5', '--burst', '10')).code).toBe(0);
    expect(await shown()).toEqual({
      tenant: 'team-q',
      quotas: { executions: 4, memoryMb: 2048, overQuota: 'queue', requestsPerSecond: 2.5, burst: 10 },
    });
    expect(await keys('quota', 'team-q', '--executions', '0')).toMatchObject({
      code: 125,
      stderr: 'airlock: --executions: must be positive (got 0)\n',
    });
    expect((await keys('quota', 'team-q', '--cpus', 'many')).stderr).toMatch(/^airlock: --cpus: /);
    expect((await keys('quota', 'team-q', '--over-quota', 'wait')).stderr).toMatch(/^airlock: --over-quota: /);
    // The tenant's policies stayed through every change, and stay through a clear.
    expect((await keys('quota', 'team-q', '--clear')).code).toBe(0);
    expect(await shown()).toEqual({ tenant: 'team-q', quotas: {} });
    const agent = await keys('create', '--tenant', 'team-q', '--label', 'agent');
    expect((await keys('list')).stdout).toMatch(
      new RegExp(`${agent.stdout.trim().split('_')[1]}.*strict \\[strict\\]`),
    );
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

  test('--artifacts saves the chart the program showed and the typed files it wrote, by their names', async () => {
    const out = path.join(dir, 'artifacts');
    const program = file(
      'chart.py',
      'import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.show()\nopen("t.csv", "w").write("a,b\\n1,2\\n")\n',
    );
    const ran = await airlock('run', program, '--artifacts', out);
    expect(ran).toMatchObject({ code: 0, stderr: `airlock: saved 2 artifacts in ${out}\n` });
    const png = fs.readFileSync(path.join(out, '.airlock', 'figures', 'figure-1.png'));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(fs.readFileSync(path.join(out, 't.csv'), 'utf8')).toBe('a,b\n1,2\n');
  });

  test('--timeout stops the program and exits 124', async () => {
    const out = await airlock('run', file('slow.py', 'import time\ntime.sleep(30)'), '--timeout', '1000');
    expect(out.code).toBe(124);
    expect(out.stderr).toContain('time limit exceeded (wall)');
  });

  test('the API field names work as options too: --language and --timeout-ms', async () => {
    const program = file('shout.txt', 'process.stdout.write("hi\\n")');
    expect(await airlock('run', program, '--language', 'javascript')).toEqual({ code: 0, stdout: 'hi\n', stderr: '' });
    const slow = await airlock('run', file('slow2.py', 'import time\ntime.sleep(30)'), '--timeout-ms', '1000');
    expect(slow.code).toBe(124);
    const both = await airlock('run', program, '--timeout', '1000', '--timeout-ms', '2000', '--lang', 'javascript');
    expect(both.code).toBe(125);
    expect(both.stderr).toContain("option '--timeout-ms <ms>' cannot be used with option '--timeout <ms>'");
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

  test('a long output is printed whole, byte for byte, though the result keeps only a preview', async () => {
    // About 100 KiB with multi-byte characters, so that any cut or re-encoding would show.
    const program = file(
      'long.py',
      'import sys\nfor i in range(1000):\n    sys.stdout.write(f"line {i:04d} é€ {\'z\' * 86}\\n")\nsys.stderr.write("done\\n")\nsys.exit(3)',
    );
    const expected = Array.from(
      { length: 1000 },
      (_, i) => `line ${String(i).padStart(4, '0')} é€ ${'z'.repeat(86)}\n`,
    ).join('');
    expect(Buffer.byteLength(expected)).toBeGreaterThan(100 * 1024);
    const out = await airlock('run', program);
    expect({ code: out.code, stderr: out.stderr }).toEqual({ code: 3, stderr: 'done\n' });
    expect(Buffer.byteLength(out.stdout)).toBe(Buffer.byteLength(expected));
    expect(sha256(out.stdout)).toBe(sha256(expected));
    // The host stored it, so the result held only a preview and the CLI fetched the rest.
    const digest = sha256(expected);
    expect(fs.existsSync(path.join(loadConfig().outputs.dir, digest.slice(0, 2), digest))).toBe(true);
  });

  test('a stored output it cannot fetch whole: the preview or what came, a reason, and exit 125', async () => {
    const whole = 'head of it\nand the rest\n';
    const ref = { sha256: sha256(whole), bytes: Buffer.byteLength(whole) };
    let served: (res: http.ServerResponse) => void = () => undefined;
    const fake = http.createServer((req, res) => {
      if (req.method === 'POST') {
        const run = { exitCode: 3, signal: null, stdout: 'head of it\n', stderr: '', stdoutRef: ref, stderrRef: null };
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: 'ex_fake', status: 'succeeded', run }));
      } else if (req.url === '/v1/executions/ex_fake/outputs/run/stdout') served(res);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    const fakeUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
    const run = () => airlock('--url', fakeUrl, 'run', file('f.py', 'print(1)'), '--lang', 'python');
    try {
      served = (res) => res.writeHead(200).end(whole);
      expect(await run()).toEqual({ code: 3, stdout: whole, stderr: '' });

      served = (res) =>
        res
          .writeHead(410, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: { code: 'output_expired', message: 'no longer stored' } }));
      expect(await run()).toEqual({
        code: 125,
        stdout: 'head of it\n',
        stderr: `airlock: run.stdout: printed only the first 11 of ${ref.bytes} bytes: no longer stored\n`,
      });

      served = (res) => res.writeHead(200).end('head of it\nbut not the rest\n');
      const altered = await run();
      expect(altered).toMatchObject({ code: 125, stdout: 'head of it\nbut not the rest\n' });
      expect(altered.stderr).toContain(`are not the stored output (${ref.bytes} bytes, sha256 ${ref.sha256})`);
    } finally {
      await new Promise((resolve) => fake.close(resolve));
    }
  });
});
