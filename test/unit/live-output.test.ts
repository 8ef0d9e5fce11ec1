import { LiveOutput } from '../../activities/supervisor/live-output';
import type { OutputChunk } from '../../lib/output-chunks';
import type { OutputRules } from '../../lib/schemas/policy';
import { scanOutput } from '../../lib/scans/output-scan';
import { LiveLog } from '../../workflows/live-log';
import { inlineScanner } from '../../activities/scanner';

const REDACT: OutputRules = { secrets: 'redact', patterns: [] };

/** A LiveOutput whose sends are recorded; time is driven by jest's fake timers. */
function relay(rules?: OutputRules, failAfter = Infinity) {
  const sent: OutputChunk[] = [];
  const live = new LiveOutput(
    {
      workflowId: 'wf',
      scope: 'run',
      stage: 'run',
      ...(rules ? { rules } : {}),
      sink: async (_id, chunk) => {
        if (sent.length >= failAfter) throw new Error('unavailable');
        sent.push(chunk);
      },
    },
    inlineScanner,
  );
  return { live, sent };
}

async function tick(ms = 250): Promise<void> {
  await jest.advanceTimersByTimeAsync(ms);
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('LiveOutput (host side)', () => {
  test('sends whole lines while the process runs, in order, with the offset each starts at', async () => {
    const { live, sent } = relay();
    live.write('stdout', Buffer.from('one\ntw'));
    await tick();
    live.write('stdout', Buffer.from('o\nthree'));
    await tick();
    expect(sent).toEqual([
      { scope: 'run', stage: 'run', stream: 'stdout', offset: 0, text: 'one\n' },
      { scope: 'run', stage: 'run', stream: 'stdout', offset: 4, text: 'two\n' },
    ]);
    // The unfinished last line goes out when the process ends.
    await live.stop();
    expect(sent.at(-1)).toEqual({ scope: 'run', stage: 'run', stream: 'stdout', offset: 8, text: 'three' });
  });

  test('stop sends the rest of a stream that went out, so the stream is the whole output', async () => {
    const { live, sent } = relay(REDACT);
    live.write('stdout', Buffer.from('first\n'));
    live.write('stderr', Buffer.from('warning\n'));
    await tick();
    // Written after the last flush: the tail that used to reach only the result.
    const tail =
      'second\nkey AKIAIOSFODNN7EXAMPLE\n-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\nno end';
    live.write('stdout', Buffer.from(tail));
    const euro = Buffer.from('€');
    live.write('stderr', euro.subarray(0, 2)); // a character the process never finished
    await live.stop();
    const streamed = (stream: string) =>
      sent
        .filter((c) => c.stream === stream)
        .map((c) => c.text)
        .join('');
    const whole = (text: string) => scanOutput('run.stdout', text, REDACT).text;
    expect(streamed('stdout')).toBe(whole(`first\n${tail}`));
    expect(streamed('stdout')).not.toMatch(/AKIA|MIIE/);
    expect(streamed('stdout').endsWith('no end')).toBe(true);
    expect(streamed('stderr')).toBe(`warning\n${euro.subarray(0, 2).toString('utf8')}`);
    // Each chunk continues exactly where the one before it ended.
    for (const stream of ['stdout', 'stderr']) {
      const chunks = sent.filter((c) => c.stream === stream);
      chunks.forEach((c, i) => expect(c.offset).toBe(i === 0 ? 0 : chunks[i - 1]!.offset + chunks[i - 1]!.text.length));
    }
  });

  test('a process that ended before the first flush costs no send; a stream that sent nothing sends nothing', async () => {
    const quick = relay();
    quick.live.write('stdout', Buffer.from('all of it\nat once'));
    quick.live.write('stderr', Buffer.from('and this\n'));
    await quick.live.stop();
    expect(quick.sent).toEqual([]);

    const { live, sent } = relay();
    live.write('stdout', Buffer.from('early\n'));
    await tick();
    live.write('stdout', Buffer.from('late\n'));
    live.write('stderr', Buffer.from('only at the end\n'));
    await live.stop();
    expect(sent.map((c) => [c.stream, c.text])).toEqual([
      ['stdout', 'early\n'],
      ['stdout', 'late\n'],
    ]);
  });

  test('stop waits for the send in flight and sends the rest after it', async () => {
    const sent: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const live = new LiveOutput(
      {
        workflowId: 'wf',
        scope: 'run',
        stage: 'run',
        sink: async (_id, chunk) => {
          if (sent.length === 0) await held;
          sent.push(chunk.text);
        },
      },
      inlineScanner,
    );
    live.write('stdout', Buffer.from('a\n'));
    await tick();
    live.write('stdout', Buffer.from('b\n'));
    const stopped = live.stop();
    await tick();
    expect(sent).toEqual([]);
    release();
    await stopped;
    expect(sent).toEqual(['a\n', 'b\n']);
  });

  test('the workflow rebuilds the whole stream from the chunks, whatever part of it the result keeps', async () => {
    const { live, sent } = relay();
    const whole = `${'x'.repeat(99)}\n`.repeat(50);
    live.write('stdout', Buffer.from(whole.slice(0, 1000)));
    await tick();
    live.write('stdout', Buffer.from(whole.slice(1000)));
    await live.stop();
    const log = new LiveLog();
    for (const chunk of sent) log.chunk(chunk);
    // A stored result keeps only a preview: nothing of the stream may be missing after it.
    log.complete('run', 'run', { stdout: whole.slice(0, 512), stderr: '' });
    const text = log
      .after(0)
      .map((e) => (e.type === 'stdout' ? e.data.text : ''))
      .join('');
    expect(text).toBe(whole);
  });

  test('a UTF-8 character split across writes arrives whole', async () => {
    const { live, sent } = relay();
    const bytes = Buffer.from('é\n');
    live.write('stderr', bytes.subarray(0, 1));
    live.write('stderr', bytes.subarray(1));
    await tick();
    await live.stop();
    expect(sent.map((c) => c.text)).toEqual(['é\n']);
  });

  test('secrets are redacted before they leave, and a private key block is held until it ends', async () => {
    const { live, sent } = relay(REDACT);
    live.write('stdout', Buffer.from('key AKIAIOSFODNN7EXAMPLE\n-----BEGIN RSA PRIVATE KEY-----\nMIIE\n'));
    await tick();
    expect(sent.map((c) => c.text).join('')).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(sent.map((c) => c.text).join('')).not.toContain('BEGIN');
    live.write('stdout', Buffer.from('abcd\n-----END RSA PRIVATE KEY-----\nafter\n'));
    await tick();
    await live.stop();
    const text = sent.map((c) => c.text).join('');
    expect(text).not.toContain('MIIE');
    expect(text).toContain('[REDACTED:');
    expect(text.endsWith('after\n')).toBe(true);
  });

  test('after a failed send nothing more is sent, so the workflow never sees a gap', async () => {
    const { live, sent } = relay(undefined, 1);
    live.write('stdout', Buffer.from('a\n'));
    await tick();
    live.write('stdout', Buffer.from('b\n'));
    await tick();
    live.write('stdout', Buffer.from('c\n'));
    await tick();
    await live.stop();
    expect(sent.map((c) => c.text)).toEqual(['a\n']);
  });
});

describe('LiveLog (workflow side)', () => {
  const chunk = (offset: number, text: string): OutputChunk => ({
    scope: 'run',
    stage: 'run',
    stream: 'stdout',
    offset,
    text,
  });

  test('keeps chunks that continue the stream, drops resent and out-of-order ones, and fills in the rest', () => {
    const log = new LiveLog();
    log.stage('run', 'run', 'running');
    log.chunk(chunk(0, 'a\n'));
    log.chunk(chunk(0, 'a\n')); // resent
    log.chunk(chunk(5, 'zz\n')); // a gap: not ours to paper over
    log.chunk(chunk(2, 'b\n'));
    log.complete('run', 'run', { stdout: 'a\nb\nc\n', stderr: 'oops\n' });
    const events = log.after(0);
    expect(events.map((e) => e.id)).toEqual([1, 2, 3, 4, 5]);
    expect(events.filter((e) => e.type === 'stdout').map((e) => e.data)).toEqual([
      { stage: 'run', text: 'a\n' },
      { stage: 'run', text: 'b\n' },
      { stage: 'run', text: 'c\n' },
    ]);
    expect(events.at(-1)).toEqual({ id: 5, type: 'stderr', data: { stage: 'run', text: 'oops\n' } });
  });

  test('pages from an id, per scope, and carries a scope into a new log with the same ids', () => {
    const log = new LiveLog();
    log.stage('step-1', 'exec', 'running');
    log.stage('step-2', 'exec', 'running');
    log.end('step-1', 'succeeded');
    expect(log.after(0, 'step-1').map((e) => e.id)).toEqual([1, 3]);
    expect(log.after(1, 'step-1').map((e) => e.id)).toEqual([3]);
    const next = new LiveLog(
      log.nextId,
      log.carry((s) => s === 'step-1', 1024),
    );
    expect(next.after(0).map((e) => e.id)).toEqual([1, 3]);
    next.stage('step-3', 'exec', 'running');
    expect(next.after(3).map((e) => e.id)).toEqual([4]);
  });
});
