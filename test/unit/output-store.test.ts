import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import {
  FileOutputStore,
  startOutputSweeper,
  storeLongOutputs,
  utf8Prefix,
  type OutputStore,
} from '../../lib/node/output-store';
import { ExecutionResult, ProcessResult } from '../../lib/schemas/execution-result';

const HOUR_MS = 60 * 60_000;
const DAY_MS = 24 * HOUR_MS;
const sha256 = (data: Buffer | string) => crypto.createHash('sha256').update(data).digest('hex');

let dir: string;
let store: FileOutputStore;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-outputs-'));
  store = new FileOutputStore(dir);
});

afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Every file under the store, relative to it. */
function files(): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => fs.statSync(path.join(dir, f)).isFile());
}

function age(file: string, ms: number): void {
  const then = new Date(Date.now() - ms);
  fs.utimesSync(file, then, then);
}

describe('FileOutputStore', () => {
  test('stores content under its sha256 and gives the same bytes back', async () => {
    const content = Buffer.from(`${'line\n'.repeat(50_000)}ünïcödé\n`, 'utf8');
    const ref = await store.put(content);
    expect(ref).toEqual({ sha256: sha256(content), bytes: content.length });
    expect(files()).toEqual([path.join(ref.sha256.slice(0, 2), ref.sha256)]);
    const stored = await store.open(ref.sha256);
    expect(stored?.bytes).toBe(content.length);
    expect(sha256(Buffer.from(await text(stored!.stream), 'utf8'))).toBe(ref.sha256);
  });

  test('the same content stored again is one file, and its time is renewed', async () => {
    const content = Buffer.from('x'.repeat(100_000));
    const ref = await store.put(content);
    const file = path.join(dir, ref.sha256.slice(0, 2), ref.sha256);
    age(file, 3 * DAY_MS);
    const again = await Promise.all([store.put(content), store.put(content), store.put(content)]);
    expect(again).toEqual([ref, ref, ref]);
    expect(files()).toHaveLength(1);
    expect(Date.now() - fs.statSync(file).mtimeMs).toBeLessThan(HOUR_MS);
  });

  test('concurrent writes of the same new content leave one whole file and no temporaries', async () => {
    const content = crypto.randomBytes(512 * 1024);
    const refs = await Promise.all(Array.from({ length: 8 }, () => store.put(content)));
    expect(new Set(refs.map((r) => r.sha256))).toEqual(new Set([sha256(content)]));
    expect(files()).toEqual([path.join(refs[0]!.sha256.slice(0, 2), refs[0]!.sha256)]);
    expect(fs.readFileSync(path.join(dir, files()[0]!)).equals(content)).toBe(true);
  });

  test('an unknown digest, or anything that is not one, opens nothing', async () => {
    fs.writeFileSync(path.join(dir, 'secret'), 'not an output');
    await expect(store.open(sha256('never stored'))).resolves.toBeNull();
    for (const name of ['../secret', 'secret', `${'a'.repeat(63)}/`, 'A'.repeat(64), ''])
      await expect(store.open(name)).resolves.toBeNull();
  });

  test('an output opened before a sweep removes it can still be read whole', async () => {
    const content = Buffer.from('y'.repeat(200_000));
    const ref = await store.put(content);
    const stored = await store.open(ref.sha256);
    await expect(store.sweep(0, Date.now() + 1000)).resolves.toBe(1);
    expect(files()).toEqual([]);
    expect((await text(stored!.stream)).length).toBe(content.length);
    await expect(store.open(ref.sha256)).resolves.toBeNull();
  });

  test('a sweep removes outputs older than the retention, and abandoned writes after an hour', async () => {
    const old = await store.put(Buffer.from('old'));
    const recent = await store.put(Buffer.from('recent'));
    age(path.join(dir, old.sha256.slice(0, 2), old.sha256), 8 * DAY_MS);
    age(path.join(dir, recent.sha256.slice(0, 2), recent.sha256), 6 * DAY_MS);
    const shard = path.join(dir, recent.sha256.slice(0, 2));
    const abandoned = path.join(shard, `${recent.sha256}.dead.tmp`);
    const inFlight = path.join(shard, `${recent.sha256}.live.tmp`);
    fs.writeFileSync(abandoned, 'half');
    fs.writeFileSync(inFlight, 'half');
    age(abandoned, 2 * HOUR_MS);
    // Not the store's: left alone.
    fs.mkdirSync(path.join(dir, 'elsewhere'));
    fs.writeFileSync(path.join(dir, 'elsewhere', 'file'), 'kept');
    age(path.join(dir, 'elsewhere', 'file'), 30 * DAY_MS);

    await expect(store.sweep(7 * DAY_MS)).resolves.toBe(2);
    expect(files().sort()).toEqual(
      [
        path.join('elsewhere', 'file'),
        path.join(recent.sha256.slice(0, 2), recent.sha256),
        path.relative(dir, inFlight),
      ].sort(),
    );
    await expect(store.open(old.sha256)).resolves.toBeNull();
    const kept = await store.open(recent.sha256);
    expect(kept?.bytes).toBe('recent'.length);
    kept?.stream.destroy();
  });

  test('a store whose directory does not exist yet sweeps nothing and creates it on the first write', async () => {
    const fresh = new FileOutputStore(path.join(dir, 'not', 'yet'));
    await expect(fresh.sweep(0)).resolves.toBe(0);
    const ref = await fresh.put(Buffer.from('first'));
    const stored = await fresh.open(ref.sha256);
    expect(stored?.bytes).toBe(5);
    stored?.stream.destroy();
  });

  test('the sweeper sweeps at once, reports what it removed, and stops', async () => {
    const ref = await store.put(Buffer.from('expired'));
    age(path.join(dir, ref.sha256.slice(0, 2), ref.sha256), 2 * DAY_MS);
    const swept = await new Promise<number>((resolve, reject) => {
      const sweeper = startOutputSweeper({
        store,
        maxAgeMs: DAY_MS,
        intervalMs: DAY_MS,
        onSwept: resolve,
        onError: reject,
      });
      sweeper.stop();
    });
    expect(swept).toBe(1);
    expect(files()).toEqual([]);
  });
});

describe('utf8Prefix', () => {
  test('keeps a text that fits, and cuts a longer one to at most the bound', () => {
    expect(utf8Prefix('hello', 5)).toBe('hello');
    expect(utf8Prefix('hello world', 5)).toBe('hello');
  });

  test('never splits a character, and is always a prefix', () => {
    // 1, 2, 3 and 4 bytes per character.
    const text = 'aé€😀'.repeat(1000);
    for (let bound = 0; bound < 40; bound++) {
      const prefix = utf8Prefix(text, bound);
      expect(text.startsWith(prefix)).toBe(true);
      expect(Buffer.byteLength(prefix, 'utf8')).toBeLessThanOrEqual(bound);
      // Nothing that would still fit was dropped.
      const next = text.slice(prefix.length, prefix.length + 2).codePointAt(0)!;
      expect(Buffer.byteLength(prefix, 'utf8') + Buffer.byteLength(String.fromCodePoint(next))).toBeGreaterThan(bound);
      expect(prefix).not.toContain('\ufffd');
    }
  });
});

describe('storeLongOutputs', () => {
  const processResult = (stdout: string, stderr: string): ProcessResult => ({
    exitCode: 0,
    signal: null,
    stdout,
    stderr,
    stdoutBytes: Buffer.byteLength(stdout),
    stderrBytes: Buffer.byteLength(stderr),
    stdoutTruncated: false,
    stderrTruncated: false,
    wallMs: 1,
    durationMs: 1,
    cpuMs: null,
    peakMemoryBytes: null,
    oomKilled: false,
    limitExceeded: null,
    leftoverProcessesKilled: 0,
    outputFindings: [],
    outputBlocked: false,
  });
  const failing: OutputStore = {
    put: () => Promise.reject(new Error('disk full')),
    open: () => Promise.resolve(null),
    sweep: () => Promise.resolve(0),
  };

  test('a stream longer than the preview is stored whole and cut; one that fits stays, with a null ref', async () => {
    const long = `${'€'.repeat(10_000)}\n`;
    const kept = await storeLongOutputs(processResult(long, 'short'), store, 16 * 1024);
    expect(kept.stdoutRef).toEqual({ sha256: sha256(long), bytes: Buffer.byteLength(long) });
    expect(kept.stdout).toBe('€'.repeat(5461)); // 16,383 bytes: the next character would not fit
    expect(kept.stderr).toBe('short');
    expect(kept.stderrRef).toBeNull();
    // The counts and flags describe the process, not the preview.
    expect(kept).toMatchObject({ stdoutBytes: Buffer.byteLength(long), stdoutTruncated: false });
    const stored = await store.open(kept.stdoutRef!.sha256);
    expect(await text(stored!.stream)).toBe(long);
  });

  test("a case's share of the budget cuts below the preview", async () => {
    const kept = await storeLongOutputs(processResult('a'.repeat(8000), ''), store, 16 * 1024, { inlineBytes: 4096 });
    expect(kept.stdout).toBe('a'.repeat(4096));
    expect(kept.stdoutRef?.bytes).toBe(8000);
  });

  test('when the store fails the output stays in the result, cut to a case budget as before', async () => {
    const failures: string[] = [];
    const onStoreFailed = (stream: string, err: unknown) => failures.push(`${stream}: ${(err as Error).message}`);
    const whole = await storeLongOutputs(processResult('b'.repeat(40_000), ''), failing, 16 * 1024, { onStoreFailed });
    expect(whole).toMatchObject({ stdout: 'b'.repeat(40_000), stdoutRef: null, stdoutTruncated: false });
    const cased = await storeLongOutputs(processResult('c'.repeat(40_000), ''), failing, 16 * 1024, {
      inlineBytes: 4096,
      onStoreFailed,
    });
    expect(cased).toMatchObject({ stdout: 'c'.repeat(4096), stdoutRef: null, stdoutTruncated: true });
    expect(failures).toEqual(['stdout: disk full', 'stdout: disk full']);
    expect(files()).toEqual([]);
  });
});

describe('result schema', () => {
  const FIXTURES = path.join(__dirname, '..', 'fixtures', 'histories');

  test('results recorded before outputs were stored still parse, with no refs', () => {
    type Recorded = {
      events: Array<{
        workflowExecutionStartedEventAttributes?: { workflowType: { name: string } };
        workflowExecutionCompletedEventAttributes?: { result: { payloads: Array<{ data: string }> } };
      }>;
    };
    const results = fs
      .readdirSync(FIXTURES)
      .filter((f) => f.endsWith('.json'))
      .map((file) => JSON.parse(fs.readFileSync(path.join(FIXTURES, file), 'utf8')) as Recorded)
      .filter((h) => h.events[0]?.workflowExecutionStartedEventAttributes?.workflowType.name === 'executionWorkflow')
      .map((h) => h.events.at(-1)!.workflowExecutionCompletedEventAttributes!.result.payloads[0]!.data)
      .map((data) => JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as Record<string, unknown>)
      // The fixtures recorded before outputs were stored are those from before seals, too.
      .filter((result) => !('seal' in result));
    expect(results.length).toBeGreaterThanOrEqual(5);
    for (const recorded of results) {
      const parsed = ExecutionResult.parse(recorded);
      expect(parsed).toEqual(recorded);
      for (const process of [parsed.compile, parsed.run, parsed.tests, ...(parsed.cases ?? [])])
        expect(process && 'stdoutRef' in process).toBeFalsy();
    }
  });

  test('a ref is a sha256 and a size, or null', () => {
    const base = {
      exitCode: 0,
      signal: null,
      stdout: 'preview',
      stderr: '',
      stdoutBytes: 204_800,
      stderrBytes: 0,
      stdoutTruncated: false,
      stderrTruncated: false,
      wallMs: 10,
      durationMs: 10,
      cpuMs: null,
      peakMemoryBytes: null,
      oomKilled: false,
      limitExceeded: null,
      leftoverProcessesKilled: 0,
      outputFindings: [],
      outputBlocked: false,
    };
    const ref = { sha256: sha256('x'), bytes: 204_800 };
    expect(ProcessResult.parse({ ...base, stdoutRef: ref, stderrRef: null })).toMatchObject({ stdoutRef: ref });
    expect(() => ProcessResult.parse({ ...base, stdoutRef: { sha256: '../etc', bytes: 1 } })).toThrow();
  });
});
