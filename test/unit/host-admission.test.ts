import { HostAdmission } from '../../activities/capacity/admission';
import { ErrorType } from '../../lib/errors';

const big = { memoryMb: 600, cpus: 1 };
const small = { memoryMb: 100, cpus: 1 };

test('admits while the memory limits fit, then makes the next wait until one is released', async () => {
  const admission = new HostAdmission({ memoryMb: 1000, cpus: 8 });
  await admission.reserve('a', big);
  await admission.reserve('b', small);
  let admitted = false;
  const waiting = admission.reserve('c', big).then(() => (admitted = true));
  await new Promise((r) => setImmediate(r));
  expect(admitted).toBe(false);
  expect(admission.stats()).toMatchObject({ held: 2, waiting: 1, used: { memoryMb: 700 } });
  admission.release('a');
  await waiting;
  expect(admission.stats()).toMatchObject({ held: 2, waiting: 0, used: { memoryMb: 700 } });
});

test('a request that fits goes beside one waiting for more room, until that one has waited long', async () => {
  jest.useFakeTimers({ doNotFake: ['setImmediate'] });
  try {
    const admission = new HostAdmission({ memoryMb: 1000, cpus: 8 });
    await admission.reserve('a', big);
    const order: string[] = [];
    const large = admission.reserve('large', big).then(() => order.push('large'));
    await admission.reserve('small', small);
    expect(admission.stats()).toMatchObject({ held: 2, waiting: 1 });
    // Five seconds on, the large one holds the line: a small one that would fit waits behind it.
    jest.advanceTimersByTime(5_000);
    const later = admission.reserve('later', small).then(() => order.push('later'));
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([]);
    admission.release('a');
    await Promise.all([large, later]);
    expect(order).toEqual(['large', 'later']);
  } finally {
    jest.useRealTimers();
  }
});

test('past its wait a provision gives its task back (HostFull, retried); a cancelled one stops waiting', async () => {
  const admission = new HostAdmission({ memoryMb: 1000, cpus: 8 });
  await admission.reserve('a', big);
  await expect(admission.reserve('b', big, { waitMs: 20 })).rejects.toMatchObject({
    type: ErrorType.HostFull,
    nonRetryable: false,
  });
  const stop = new AbortController();
  const cancelled = admission.reserve('c', big, { signal: stop.signal });
  stop.abort(new Error('cancelled'));
  await expect(cancelled).rejects.toThrow('cancelled');
  expect(admission.stats()).toMatchObject({ held: 1, waiting: 0 });
});

test('a request larger than the whole host is refused at once; CPUs count too', async () => {
  const admission = new HostAdmission({ memoryMb: 1000, cpus: 2 });
  await expect(admission.reserve('huge', { memoryMb: 2048, cpus: 1 })).rejects.toMatchObject({
    type: ErrorType.HostTooSmall,
    nonRetryable: false,
  });
  await admission.reserve('a', { memoryMb: 100, cpus: 1.5 });
  await expect(admission.reserve('b', { memoryMb: 100, cpus: 1 }, { waitMs: 10 })).rejects.toMatchObject({
    type: ErrorType.HostFull,
  });
});

test('a retry holds nothing more; containers found at start hold their room; missing ones are freed after a grace', async () => {
  const admission = new HostAdmission({ memoryMb: 1000, cpus: 8 });
  await admission.reserve('a', big);
  await admission.reserve('a', big);
  expect(admission.used().memoryMb).toBe(600);
  admission.adopt(new Map([['old', small]]));
  expect(admission.used().memoryMb).toBe(700);
  // Young holds may be provisions still making their container: kept.
  admission.forgetMissing(new Set(['old']));
  expect(admission.used().memoryMb).toBe(700);
  admission.forgetMissing(new Set(['old']), -1);
  expect(admission.used().memoryMb).toBe(100);
});

test("a retry on the same host takes the room over: the earlier attempt's failure does not free it", async () => {
  const admission = new HostAdmission({ memoryMb: 1000, cpus: 8 });
  await admission.reserve('c', big, { owner: 'attempt-1' });
  await admission.reserve('c', big, { owner: 'attempt-2' });
  admission.release('c', 'attempt-1');
  expect(admission.used().memoryMb).toBe(600);
  admission.release('c', 'attempt-2');
  expect(admission.used().memoryMb).toBe(0);
  // Teardown frees it whoever holds it.
  await admission.reserve('d', big, { owner: 'attempt-1' });
  admission.release('d');
  expect(admission.holds('d')).toBe(false);
});
