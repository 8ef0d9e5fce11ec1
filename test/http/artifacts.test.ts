/**
 * Typed artifacts with the real service: the API and the host worker as separate processes sharing
 * one store. A chart the program shows, a chart it leaves open, and the typed files it writes come
 * back with the result (inline under the bound, by reference above it) through the API and the SDK;
 * a file whose bytes belie its name, or in which the output gate found a secret, does not.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Artifact, ExecutionResult } from '../../lib/schemas/execution-result';
import { Airlock } from '../../sdk/src';
import { TestCluster } from '../support/cluster';
import { createTestApi, type TestApi } from '../support/api';
import { ApiProcess } from '../support/api-process';
import { TEST_DIR } from '../support/test-env';

const OUTPUT_DIR = path.join(TEST_DIR, `artifacts-${process.pid}`);
const TOKEN = 'ghp_abcdefghijklmnopqrstuvwxyz0123456789';
const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const PROGRAM = `
import json
import matplotlib.pyplot as plt
import pandas as pd

df = pd.DataFrame({"x": range(10), "y": [v * v for v in range(10)]})
df.plot(x="x", y="y", title="squares")
plt.show()
df.to_csv("squares.csv", index=False)
# Left open at exit: saved as the second figure.
plt.figure()
plt.bar(["a", "b"], [3, 5])
with open("report.html", "w") as f:
    f.write("<html><script>alert(1)</script><body>report</body></html>")
with open("big.json", "w") as f:
    json.dump({"rows": [[i, i * i] for i in range(20000)]}, f)
# An HTML page named as a PNG: its bytes say otherwise, so it stays a plain file.
with open("fake.png", "w") as f:
    f.write("<html><script>alert(1)</script></html>")
with open("leak.csv", "w") as f:
    f.write("name,token\\nci,${TOKEN}\\n")
print(len(df))
`;

let cluster: TestCluster;
let keys: TestApi;
let apiProcess: ApiProcess;
let airlock: Airlock;
let result: ExecutionResult;

const sha256 = (data: Uint8Array) => crypto.createHash('sha256').update(data).digest('hex');
const byName = (name: string): Artifact => {
  const found = result.artifacts?.find((a) => a.name === name);
  if (!found) throw new Error(`no artifact ${name} in ${JSON.stringify(result.artifacts?.map((a) => a.name))}`);
  return found;
};
const call = (urlPath: string, key = keys.key) =>
  fetch(`${apiProcess.url}${urlPath}`, { headers: { authorization: `Bearer ${key}` } });

beforeAll(async () => {
  cluster = await TestCluster.start({ hostEnv: { AIRLOCK_OUTPUT_DIR: OUTPUT_DIR } });
  keys = createTestApi(cluster);
  apiProcess = await ApiProcess.start({
    address: cluster.address,
    keysFile: keys.keys.file,
    env: { AIRLOCK_OUTPUT_DIR: OUTPUT_DIR },
  });
  airlock = new Airlock({ baseUrl: apiProcess.url, apiKey: keys.key });
  result = await airlock.executions.run({ language: 'python', code: PROGRAM });
});

afterAll(async () => {
  await apiProcess?.stop();
  await cluster?.stop();
  fs.rmSync(OUTPUT_DIR, { recursive: true, force: true });
});

test('a pandas chart the program showed, and one it left open, come back as PNG figures', async () => {
  expect(result.status).toBe('succeeded');
  expect(result.run?.stdout).toBe('10\n');
  for (const name of ['.airlock/figures/figure-1.png', '.airlock/figures/figure-2.png']) {
    const figure = byName(name);
    expect(figure).toMatchObject({ mimeType: 'image/png', origin: 'figure', withheld: null });
    const bytes = Buffer.from(await airlock.executions.artifact(result.id, figure));
    expect(bytes.subarray(0, 8)).toEqual(PNG_MAGIC);
    expect(sha256(bytes)).toBe(figure.sha256);
    expect(bytes.length).toBe(figure.bytes);
    // Small enough to be inline, and in the sealed manifest like any file the program wrote.
    expect(Buffer.from(figure.data!, 'base64')).toEqual(bytes);
    expect(result.scan?.artifacts).toContainEqual({ name, sha256: figure.sha256, bytes: figure.bytes });
  }
});

test('typed files come back inline under the bound and by reference above it', async () => {
  const csv = byName('squares.csv');
  expect(csv).toMatchObject({ mimeType: 'text/csv', origin: 'file', withheld: null });
  expect(Buffer.from(csv.data!, 'base64').toString()).toMatch(/^x,y\n0,0\n1,1\n/);

  const big = byName('big.json');
  expect(big.mimeType).toBe('application/json');
  expect(big.bytes).toBeGreaterThan(64 * 1024);
  expect(big.data).toBeNull();
  const res = await call(`/v1/executions/${result.id}/artifacts/${big.sha256}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json(;|$)/);
  const body = new Uint8Array(await res.arrayBuffer());
  expect(sha256(body)).toBe(big.sha256);
  expect(Buffer.from(await airlock.executions.artifact(result.id, big))).toEqual(Buffer.from(body));
});

test("a page the program wrote is served so that its script never runs on the API's origin", async () => {
  const html = byName('report.html');
  const res = await call(`/v1/executions/${result.id}/artifacts/${html.sha256}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  expect(res.headers.get('content-security-policy')).toContain('sandbox');
  expect(res.headers.get('content-disposition')).toBe("attachment; filename*=UTF-8''report.html");
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
});

test('a file whose bytes belie its name is not typed; it is only in the manifest', () => {
  expect(result.artifacts?.some((a) => a.name === 'fake.png')).toBe(false);
  expect(result.scan?.artifacts.map((a) => a.name)).toContain('fake.png');
});

test('a typed file the output gate found a secret in is withheld, and its content is served nowhere', async () => {
  const leak = byName('leak.csv');
  expect(leak).toMatchObject({ mimeType: 'text/csv', data: null });
  expect(leak.withheld).toMatch(/output gate found github-token/);
  expect((await call(`/v1/executions/${result.id}/artifacts/${leak.sha256}`)).status).toBe(404);
  await expect(airlock.executions.artifact(result.id, leak)).rejects.toMatchObject({ code: 'artifact_withheld' });
  expect(JSON.stringify(result)).not.toContain(TOKEN);
});

test("another tenant's key, or a digest the result does not list, gets 404", async () => {
  const figure = byName('.airlock/figures/figure-1.png');
  const other = await call(`/v1/executions/${result.id}/artifacts/${figure.sha256}`, keys.otherTenantKey);
  expect(other.status).toBe(404);
  const unlisted = await call(`/v1/executions/${result.id}/artifacts/${'0'.repeat(64)}`);
  expect(unlisted.status).toBe(404);
});

describe('in a sandbox, per step', () => {
  test('each step returns what it drew or wrote, and nothing an earlier step or the client left', async () => {
    const sandbox = await airlock.sandboxes.create({ language: 'python' });
    try {
      const drew = await sandbox.run(
        'import matplotlib.pyplot as plt\nplt.plot([1, 2, 3], [1, 4, 9])\nplt.show()\nopen("a.csv", "w").write("x\\n1\\n")',
      );
      expect(drew.status).toBe('succeeded');
      expect(drew.artifacts?.map((a) => [a.name, a.mimeType, a.origin])).toEqual([
        ['.airlock/figures/figure-1.png', 'image/png', 'figure'],
        ['a.csv', 'text/csv', 'file'],
      ]);
      const png = await sandbox.artifact(drew, drew.artifacts![0]!);
      expect(Buffer.from(png.subarray(0, 8))).toEqual(PNG_MAGIC);

      // Nothing new: the chart and the table are the first step's.
      const quiet = await sandbox.run('print(1)');
      expect(quiet.artifacts).toEqual([]);

      // A file the client wrote is its own, not an artifact of the step after it.
      await sandbox.files.write('input.json', '{"n": 1}');
      const changed = await sandbox.run('open("a.csv", "w").write("x\\n2\\n")');
      expect(changed.artifacts?.map((a) => a.name)).toEqual(['a.csv']);
      expect(Buffer.from(await sandbox.artifact(changed, changed.artifacts![0]!)).toString()).toBe('x\n2\n');

      // Over the inline bound: by reference, served under the step, to its tenant only.
      const big = await sandbox.run(
        'import json\njson.dump({"rows": [[i, i * i] for i in range(20000)]}, open("big.json", "w"))',
      );
      const ref = big.artifacts!.find((a) => a.name === 'big.json')!;
      expect(ref.data).toBeNull();
      expect(sha256(await sandbox.artifact(big, ref))).toBe(ref.sha256);
      const url = `/v1/sandboxes/${sandbox.id}/steps/${big.stepId}/artifacts/${ref.sha256}`;
      expect((await call(url)).status).toBe(200);
      expect((await call(url, keys.otherTenantKey)).status).toBe(404);
      // A digest of another step is not this step's.
      expect((await call(`/v1/sandboxes/${sandbox.id}/steps/${quiet.stepId}/artifacts/${ref.sha256}`)).status).toBe(
        404,
      );

      // A secret in a written table: the table is withheld, its content served nowhere.
      const leaked = await sandbox.run(`open("leak.csv", "w").write("name,token\\nci,${TOKEN}\\n")`);
      const withheld = leaked.artifacts!.find((a) => a.name === 'leak.csv')!;
      expect([withheld.withheld, withheld.data]).toEqual([expect.stringContaining('github-token'), null]);
      const leakUrl = `/v1/sandboxes/${sandbox.id}/steps/${leaked.stepId}/artifacts/${withheld.sha256}`;
      expect((await call(leakUrl)).status).toBe(404);
    } finally {
      await sandbox.close();
    }
  });
});
