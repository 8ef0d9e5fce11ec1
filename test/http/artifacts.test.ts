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
