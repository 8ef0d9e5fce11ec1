import { LiveOutput } from '../../activities/host/live-output';
import type { OutputChunk } from '../../lib/live-output';
import type { OutputRules } from '../../lib/schemas/policy';
import { LiveLog } from '../../workflows/live-log';

const REDACT: OutputRules = { secrets: 'redact', patterns: [] };

/** A LiveOutput whose sends are recorded; time is driven by jest's fake timers. */
function relay(rules?: OutputRules, failAfter = Infinity) {
  const sent: OutputChunk[] = [];
  const live = new LiveOutput({
    workflowId: 'wf',
    scope: 'run',
    stage: 'run',
    ...(rules ? { rules } : {}),
    sink: async (_id, chunk) => {
      if (sent.length >= failAfter) throw new Error('unavailable');
      sent.push(chunk);
    },
  });
  return { live, sent };
}

async function tick(ms = 250): Promise<void> {
  await jest.advanceTimersByTimeAsync(ms);
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('LiveOutput (host side)', () => {
  test('sends whole lines only, in order, with the offset each starts at', async () => {
    const { live, sent } = relay();
    live.write('stdout', Buffer.from('one\ntw'));
    await tick();
    live.write('stdout', Buffer.from('o\nthree'));
    await tick();
    await live.stop();
    expect(sent).toEqual([
      { scope: 'run', stage: 'run', stream: 'stdout', offset: 0, text: 'one\n' },
      { scope: 'run', stage: 'run', stream: 'stdout', offset: 4, text: 'two\n' },
    ]);
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
