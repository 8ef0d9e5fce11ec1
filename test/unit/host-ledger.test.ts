import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure, CancelledFailure } from '@temporalio/activity';
import { HostLedger, type StageAttempt } from '../../activities/host/host-ledger';
import { engineUnavailable } from '../../activities/containers/docker-errors';
import { ErrorType } from '../../lib/errors';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'host-ledger-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const first: StageAttempt = { workflowId: 'exec-1', runId: 'run-a', activityId: '3', attempt: 1 };
const retry = { ...first, attempt: 2 };

/** A stage whose end the test decides, counting how often it was started. */
function controllableStage() {
  let finish!: (value: string) => void;
  let started!: () => void;
  const running = new Promise<void>((resolve) => (started = resolve));
  const stage = {
    starts: 0,
    signals: [] as AbortSignal[],
    run: (signal: AbortSignal) => {
      stage.starts++;
      stage.signals.push(signal);
      started();
      return new Promise<string>((resolve) => (finish = resolve));
    },
    running,
    finish: async (value: string) => {
      await running;
      finish(value);
    },
  };
  return stage;
}

const abortWith = (reason: string) => {
  const controller = new AbortController();
  controller.abort(new CancelledFailure(reason));
  return controller.signal;
};

describe('stage ledger', () => {
  test('a retry while the first attempt still runs shares its process and result', async () => {
    const ledger = new HostLedger(dir);
    const stage = controllableStage();
    const original = ledger.once(first, new AbortController().signal, stage.run);
    const retried = ledger.once(retry, new AbortController().signal, stage.run);
    await stage.finish('exit 0');
    await expect(retried).resolves.toBe('exit 0');
    await expect(original).resolves.toBe('exit 0');
    expect(stage.starts).toBe(1);
  });

  test('a retry after the first attempt finished gets the finished result, not a second run', async () => {
    const ledger = new HostLedger(dir);
    const stage = controllableStage();
    const original = ledger.once(first, new AbortController().signal, stage.run);
    await stage.finish('exit 0');
    await original;
    await expect(ledger.once(retry, new AbortController().signal, stage.run)).resolves.toBe('exit 0');
    expect(stage.starts).toBe(1);
  });

  test('a retry whose first attempt never reached this host runs', async () => {
    const ledger = new HostLedger(dir);
    const stage = controllableStage();
    const retried = ledger.once(retry, new AbortController().signal, stage.run);
    await stage.finish('exit 0');
    await expect(retried).resolves.toBe('exit 0');
    expect(stage.starts).toBe(1);
  });

  test('after a restart, a retry of a stage that had started fails StageInterrupted without running', async () => {
    const before = new HostLedger(dir);
    const interrupted = controllableStage();
    void before.once(first, new AbortController().signal, interrupted.run);
    await interrupted.running;

    const restarted = new HostLedger(dir);
    const stage = controllableStage();
    const failure = await restarted.once(retry, new AbortController().signal, stage.run).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).type).toBe(ErrorType.StageInterrupted);
    expect((failure as ApplicationFailure).nonRetryable).toBe(true);
    expect(stage.starts).toBe(0);
  });

  test('an attempt the server abandoned leaves the process running; cancellation stops it', async () => {
    const ledger = new HostLedger(dir);
    const abandoned = controllableStage();
    void ledger.once(first, abortWith('TIMED_OUT'), abandoned.run);
    await abandoned.running;
    expect(abandoned.signals[0]!.aborted).toBe(false);

    const cancelled = controllableStage();
    void ledger.once({ ...first, activityId: '4' }, abortWith('CANCELLED'), cancelled.run);
    await cancelled.running;
    expect(cancelled.signals[0]!.aborted).toBe(true);
  });

  test('a retry that is cancelled stops the process it took over', async () => {
    const ledger = new HostLedger(dir);
    const stage = controllableStage();
    void ledger.once(first, abortWith('NOT_FOUND'), stage.run);
    const retrySignal = new AbortController();
    void ledger.once(retry, retrySignal.signal, stage.run);
    await stage.running;
    expect(stage.signals[0]!.aborted).toBe(false);
    retrySignal.abort(new CancelledFailure('CANCELLED'));
    expect(stage.signals[0]!.aborted).toBe(true);
  });

  test('teardown forgets an execution: its marks and results are gone', async () => {
    const ledger = new HostLedger(dir);
    const stage = controllableStage();
    const original = ledger.once(first, new AbortController().signal, stage.run);
    await stage.finish('exit 0');
    await original;
    await ledger.forget('exec-1');
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  test('prune removes marks older than the bound and keeps recent ones', async () => {
    const ledger = new HostLedger(dir);
    const [one, two] = [controllableStage(), controllableStage()];
    void ledger.once(first, new AbortController().signal, one.run);
    void ledger.once({ ...first, workflowId: 'exec-2' }, new AbortController().signal, two.run);
    await Promise.all([one.running, two.running]);
    const old = new Date(Date.now() - 2 * 86_400_000);
    fs.utimesSync(path.join(dir, 'exec-1'), old, old);
    expect(await ledger.prune(86_400_000)).toBe(1);
    expect(fs.readdirSync(dir)).toEqual(['exec-2']);
  });
});

describe('engine errors', () => {
  const socketError = (code: string, syscall: string) =>
    Object.assign(new Error(`${syscall} ${code} /var/run/docker.sock`), { code, syscall });

  test('a refused, reset or missing engine socket becomes a retryable EngineUnavailable', () => {
    for (const [code, syscall] of [
      ['ECONNREFUSED', 'connect'],
      ['ECONNRESET', 'read'],
      ['ENOENT', 'connect'],
    ] as const) {
      const failure = engineUnavailable(socketError(code, syscall));
      expect(failure?.type).toBe(ErrorType.EngineUnavailable);
      expect(failure?.nonRetryable).toBe(false);
      expect(failure?.message).toContain(code);
    }
  });

  test('other errors pass through untouched', () => {
    expect(engineUnavailable(socketError('ENOENT', 'open'))).toBeUndefined();
    expect(engineUnavailable(Object.assign(new Error('no such container'), { statusCode: 404 }))).toBeUndefined();
    expect(engineUnavailable(ApplicationFailure.nonRetryable('gone', ErrorType.ContainerGone))).toBeUndefined();
    expect(engineUnavailable('text')).toBeUndefined();
  });
});
