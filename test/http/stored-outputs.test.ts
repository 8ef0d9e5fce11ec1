/**
 * Long stage outputs stored outside workflow history, with the real service: the API and the host
 * worker as separate processes sharing one output directory. The result carries a preview and a
 * reference; the API serves the whole, redacted, to the execution's own tenant only.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { ExecutionResult } from '../../lib/schemas/execution-result';
import { Airlock } from '../../sdk/src';
import { TestCluster } from '../support/cluster';
import { createTestApi, type TestApi } from '../support/api';
import { ApiProcess } from '../support/api-process';
import { TEST_DIR } from '../support/test-env';
import { WorkerProcess } from '../support/worker-process';
import { decodeHistory } from '../../lib/node/payload-codec';

const PREVIEW_BYTES = 16 * 1024;
const OUTPUT_DIR = path.join(TEST_DIR, `stored-outputs-${process.pid}`);
const TOKEN = 'ghp_abcdefghijklmnopqrstuvwxyz0123456789';
/** 200 KiB of stdout, then a secret the output gate redacts: past the preview, so only in the stored copy. */
const LINE = `${'x'.repeat(1023)}\n`;
const PROGRAM = `import sys\nsys.stdout.write(${JSON.stringify(LINE)} * 200)\nprint("token ${TOKEN}")\nsys.stderr.write("short\\n")\n`;
/** The same output written over about a second and a half, so it also goes out as live chunks. */
const STREAMED = `import sys, time\nfor i in range(200):\n    sys.stdout.write(${JSON.stringify(LINE)})\n    sys.stdout.flush()\n    time.sleep(0.008)\n`;
const REDACTED_STDOUT = `${LINE.repeat(200)}token [REDACTED:github-token]\n`;

const sha256 = (data: string | Uint8Array) => crypto.createHash('sha256').update(data).digest('hex');
const outputEnv = (previewBytes: number) => ({
  AIRLOCK_OUTPUT_DIR: OUTPUT_DIR,
  AIRLOCK_OUTPUT_PREVIEW_BYTES: String(previewBytes),
});

let cluster: TestCluster;
let keys: TestApi;
let apiProcess: ApiProcess;

beforeAll(async () => {
  cluster = await TestCluster.start({ hostEnv: outputEnv(PREVIEW_BYTES) });
  keys = createTestApi(cluster);
  apiProcess = await ApiProcess.start({
    address: cluster.address,
    keysFile: keys.keys.file,
    env: { AIRLOCK_OUTPUT_DIR: OUTPUT_DIR },
  });
});

afterAll(async () => {
  await apiProcess?.stop();
  await cluster?.stop();
  fs.rmSync(OUTPUT_DIR, { recursive: true, force: true });
});

const call = (urlPath: string, key = keys.key) =>
  fetch(`${apiProcess.url}${urlPath}`, { headers: { authorization: `Bearer ${key}` } });

async function runAndWait(body: unknown): Promise<ExecutionResult> {
  const res = await fetch(`${apiProcess.url}/v1/executions?wait=true`, {
    method: 'POST',
    headers: { authorization: `Bearer ${keys.key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as ExecutionResult;
}

/**
 * The execution's history as `GET /v1/executions/:id/history` and `airlock audit` read it
 * (proto-JSON, payloads in base64): its size, its largest event other than live-output signals, and
 * how much of it is those signals (whether output went out live depends on whether the program
 * crossed a 250 ms flush, so only the streamed program is sure to have any).
 */
async function historyStats(id: string): Promise<{ bytes: number; largestEventBytes: number; signalBytes: number }> {
  const json = historyToJSON(await decodeHistory(await cluster.client.workflow.getHandle(id).fetchHistory()));
  expect(json).not.toContain(TOKEN);
  const { events } = JSON.parse(json) as { events: Array<{ eventType: string }> };
  const sizes = events.map((e) => ({
    signal: /SIGNALED$/.test(e.eventType),
    bytes: Buffer.byteLength(JSON.stringify(e)),
  }));
  return {
    bytes: Buffer.byteLength(json, 'utf8'),
    largestEventBytes: Math.max(...sizes.filter((e) => !e.signal).map((e) => e.bytes)),
    signalBytes: sizes.filter((e) => e.signal).reduce((sum, e) => sum + e.bytes, 0),
  };
}

/** Figures for docs/performance.md, kept beside the run's logs. */
const measured: Record<string, Awaited<ReturnType<typeof historyStats>>> = {};

/** The 200 KiB program's execution, run once. */
let quick: ExecutionResult;

describe('stored outputs', () => {
  let result: ExecutionResult;

  beforeAll(async () => {
    result = quick = await runAndWait({ language: 'python', code: PROGRAM });
  });

  test('the result keeps a preview of a long stream and a reference to the whole', () => {
    expect(result.status).toBe('succeeded');
    const run = result.run!;
    expect(Buffer.byteLength(run.stdout, 'utf8')).toBeLessThanOrEqual(PREVIEW_BYTES);
    expect(run.stdout.length).toBeGreaterThan(PREVIEW_BYTES - 4);
    expect(REDACTED_STDOUT.startsWith(run.stdout)).toBe(true);
    expect(run.stdoutRef).toEqual({ sha256: sha256(REDACTED_STDOUT), bytes: Buffer.byteLength(REDACTED_STDOUT) });
    // Counted as the program wrote it; nothing was cut at the output limit.
    expect(run.stdoutBytes).toBe(LINE.length * 200 + `token ${TOKEN}\n`.length);
    expect(run.stdoutTruncated).toBe(false);
    // A short stream stays whole, with no reference.
    expect(run.stderr).toBe('short\n');
    expect(run.stderrRef).toBeNull();
    // The scan manifest still has a digest of what the result holds.
    expect(result.scan?.outputs.map((o) => o.name)).toEqual(['run.stdout', 'run.stderr']);
  });

  test('GET …/outputs/run/stdout answers the whole stored stream, redacted, byte for byte', async () => {
    const res = await call(`/v1/executions/${result.id}/outputs/run/stdout`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.headers.get('content-length')).toBe(String(result.run!.stdoutRef!.bytes));
    expect(res.headers.get('etag')).toBe(`"${result.run!.stdoutRef!.sha256}"`);
    const body = new Uint8Array(await res.arrayBuffer());
    expect(body.byteLength).toBe(result.run!.stdoutRef!.bytes);
    expect(sha256(body)).toBe(result.run!.stdoutRef!.sha256);
    const text = Buffer.from(body).toString('utf8');
    expect(text).not.toContain(TOKEN);
    expect(text.endsWith('token [REDACTED:github-token]\n')).toBe(true);
    // A conditional GET (by node:http: fetch marks one `cache-control: no-cache`, which rules a 304 out).
    const again = await new Promise<number | undefined>((resolve, reject) =>
      http
        .get(
          `${apiProcess.url}/v1/executions/${result.id}/outputs/run/stdout`,
          { headers: { authorization: `Bearer ${keys.key}`, 'if-none-match': res.headers.get('etag')! } },
          (answer) => resolve(answer.resume().statusCode),
        )
        .on('error', reject),
    );
    expect(again).toBe(304);
  });

  test('the stored copy on disk is the redacted one', () => {
    const { sha256: digest } = result.run!.stdoutRef!;
    const stored = fs.readFileSync(path.join(OUTPUT_DIR, digest.slice(0, 2), digest), 'utf8');
    expect(stored).toBe(REDACTED_STDOUT);
  });

  test('the SDK fetches it too', async () => {
    const airlock = new Airlock({ baseUrl: apiProcess.url, apiKey: keys.key, maxRetries: 0 });
    const bytes = await airlock.executions.output(result.id, 'run', 'stdout');
    expect(sha256(bytes)).toBe(result.run!.stdoutRef!.sha256);
  });

  test('another tenant, an unknown execution and an output without a ref are 404', async () => {
    const own = `/v1/executions/${result.id}`;
    const other = await call(`${own}/outputs/run/stdout`, keys.otherTenantKey);
    expect(other.status).toBe(404);
    expect(((await other.json()) as { error: { code: string } }).error.code).toBe('not_found');
    // Exactly as the execution itself answers that tenant.
    expect((await call(own, keys.otherTenantKey)).status).toBe(404);
    const missing = [
      `/v1/executions/ex_${'0'.repeat(32)}/outputs/run/stdout`,
      `${own}/outputs/run/stderr`,
      `${own}/outputs/compile/stdout`,
      `${own}/outputs/case.0/stdout`,
      `${own}/outputs/run/stdin`,
      `${own}/outputs/..%2F..%2Fetc/passwd`,
    ];
    for (const url of missing) expect([url, (await call(url)).status]).toEqual([url, 404]);
    expect((await fetch(`${apiProcess.url}${own}/outputs/run/stdout`)).status).toBe(401);
  });
});

describe('compile once, run many', () => {
  test('each case is judged on its whole output, and a long one is stored and served as case.<n>', async () => {
    const expected = `${'y'.repeat(99)}\n`.repeat(500);
    const result = await runAndWait({
      language: 'python',
      code: 'import sys\nn = int(sys.stdin.read())\nsys.stdout.write(("y" * 99 + "\\n") * n)\n',
      cases: [
        { stdin: '500', expectedStdout: expected },
        { stdin: '499', expectedStdout: expected },
        { stdin: '1', expectedStdout: `${'y'.repeat(99)}\n` },
      ],
    });
    expect(result.cases?.map((c) => [c.status, c.expectedStdoutMatched])).toEqual([
      ['succeeded', true],
      ['wrong_answer', false],
      ['succeeded', true],
    ]);
    const [first, , last] = result.cases!;
    expect(first!.stdoutRef).toEqual({ sha256: sha256(expected), bytes: expected.length });
    expect(first!.stdout.length).toBeLessThanOrEqual(PREVIEW_BYTES);
    expect(first!.stdoutTruncated).toBe(false);
    expect(last!.stdoutRef).toBeNull();
    const res = await call(`/v1/executions/${result.id}/outputs/case.0/stdout`);
    expect(res.status).toBe(200);
    expect(sha256(new Uint8Array(await res.arrayBuffer()))).toBe(sha256(expected));
    expect((await call(`/v1/executions/${result.id}/outputs/case.2/stdout`)).status).toBe(404);
  });
});

describe('judging a single run', () => {
  test('a long stdout is compared whole with the expected output, and the manifest has its digest', async () => {
    const expected = `${'z'.repeat(99)}\n`.repeat(500);
    const code = 'import sys\nsys.stdout.write(("z" * 99 + "\\n") * int(sys.stdin.read()))\n';
    const right = await runAndWait({ language: 'python', code, stdin: '500', expectedStdout: expected });
    expect(right.status).toBe('succeeded');
    expect(right.run?.expectedStdoutMatched).toBe(true);
    expect(right.run?.stdoutRef).toEqual({ sha256: sha256(expected), bytes: expected.length });
    expect(right.scan?.outputs.find((o) => o.name === 'run.stdout')).toEqual({
      name: 'run.stdout',
      sha256: sha256(expected),
      bytes: expected.length,
    });
    // Equal in its first 16 KiB, different after: only the whole can tell.
    const wrong = await runAndWait({ language: 'python', code, stdin: '499', expectedStdout: expected });
    expect(wrong.status).toBe('wrong_answer');
    expect(wrong.run?.expectedStdoutMatched).toBe(false);
  });
});

describe('history size', () => {
  test('history holds the preview only: measured against the same program with storing off', async () => {
    const result = quick;
    const streamed = await runAndWait({ language: 'python', code: STREAMED });
    expect(streamed.run?.stdoutRef?.bytes).toBe(LINE.length * 200);
    measured.storedQuick = await historyStats(result.id);
    measured.storedStreamed = await historyStats(streamed.id);

    // The same host, restarted with every output kept whole in the result, as before outputs were stored.
    await cluster.host.stop();
    cluster.host = await WorkerProcess.start('host', {
      address: cluster.address,
      hostId: cluster.hostId,
      env: outputEnv(0),
    });
    const inline = await runAndWait({ language: 'python', code: PROGRAM });
    const inlineStreamed = await runAndWait({ language: 'python', code: STREAMED });
    expect(inline.run?.stdout).toBe(REDACTED_STDOUT);
    expect(inline.run?.stdoutRef).toBeUndefined();
    expect(inlineStreamed.run?.stdout).toBe(LINE.repeat(200));
    measured.inlineQuick = await historyStats(inline.id);
    measured.inlineStreamed = await historyStats(inlineStreamed.id);

    fs.writeFileSync(path.join(TEST_DIR, 'stored-outputs-history-bytes.json'), JSON.stringify(measured, null, 2));
    process.stdout.write(`history bytes: ${JSON.stringify(measured)}\n`);
    // Stored: no result carries more than a preview. Inline: the activity's and the workflow's results each carry 200 KiB.
    for (const run of [measured.storedQuick, measured.storedStreamed])
      expect(run!.largestEventBytes).toBeLessThan(48 * 1024);
    for (const run of [measured.inlineQuick, measured.inlineStreamed])
      expect(run!.largestEventBytes).toBeGreaterThan(200 * 1024);
    // Apart from live chunks, the two 200 KiB copies became two previews (base64 makes each a third larger).
    const withoutSignals = (run: (typeof measured)[string] | undefined) => run!.bytes - run!.signalBytes;
    for (const [stored, inline] of [
      [measured.storedQuick, measured.inlineQuick],
      [measured.storedStreamed, measured.inlineStreamed],
    ])
      expect(withoutSignals(stored)).toBeLessThan(withoutSignals(inline) - 2 * (200 * 1024 - PREVIEW_BYTES));
    // The streamed program's output still went out live, and its chunks are in history whole.
    expect(measured.storedStreamed!.signalBytes).toBeGreaterThan(200 * 1024);
  });
});
