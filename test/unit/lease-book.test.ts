import { LeaseBook, MAX_QUEUED } from '../../workflows/lease-book';
import type { LeaseRequest, TenantQuotas } from '../../lib/schemas/quotas';

const ask = (id: string, quotas: TenantQuotas, more: Partial<LeaseRequest> = {}): LeaseRequest => ({
  id,
  kind: 'execution',
  memoryMb: 256,
  cpus: 1,
  quotas,
  queue: false,
  ...more,
});

test('grants within the quota and refuses past it, naming the quota and what is in use', () => {
  const book = new LeaseBook();
  const quotas = { executions: 2 };
  expect(book.request(ask('a', quotas), 0)).toEqual({ granted: true, fresh: true });
  expect(book.request(ask('b', quotas), 0)).toEqual({ granted: true, fresh: true });
  expect(book.request(ask('c', quotas), 0)).toEqual({
    granted: false,
    queued: false,
    limit: 'executions',
    max: 2,
    inUse: 2,
    never: false,
  });
  book.release('a');
  expect(book.request(ask('c', quotas), 0)).toEqual({ granted: true, fresh: true });
});

test('a retry of a granted request is granted again, not counted twice', () => {
  const book = new LeaseBook();
  const quotas = { executions: 1 };
  book.request(ask('a', quotas), 0);
  expect(book.request(ask('a', quotas), 0)).toEqual({ granted: true, fresh: false });
  expect(book.usage().executions).toBe(1);
});

test('memory and CPUs in flight count executions and sandboxes together', () => {
  const book = new LeaseBook();
  const quotas = { memoryMb: 1024, cpus: 2 };
  expect(book.request(ask('s', quotas, { kind: 'sandbox', memoryMb: 768 }), 0)).toMatchObject({ granted: true });
  expect(book.request(ask('e', quotas, { memoryMb: 512 }), 0)).toMatchObject({
    granted: false,
    limit: 'memoryMb',
    max: 1024,
    inUse: 768,
  });
  expect(book.request(ask('e2', quotas, { memoryMb: 256, cpus: 1.5 }), 0)).toMatchObject({ limit: 'cpus' });
  expect(book.usage()).toEqual({ executions: 0, sandboxes: 1, memoryMb: 768, cpus: 1 });
});

test('a request alone over a quota is refused as never fitting', () => {
  const quotas = { memoryMb: 512 };
  expect(new LeaseBook().request(ask('a', quotas, { memoryMb: 1024, queue: true }), 0)).toMatchObject({
    granted: false,
    queued: false,
    limit: 'memoryMb',
    never: true,
  });
  expect(LeaseBook.overAlone(ask('a', quotas, { memoryMb: 1024 }))).toMatchObject({ limit: 'memoryMb', max: 512 });
  expect(LeaseBook.overAlone(ask('a', quotas, { memoryMb: 512 }))).toBeNull();
});

test('queued requests are admitted first in, first out, once they wait and fit', () => {
  const book = new LeaseBook();
  const quotas = { executions: 1 };
  const queued = (id: string) => ask(id, quotas, { queue: true });
  expect(book.request(queued('a'), 0)).toEqual({ granted: true, fresh: true });
  expect(book.request(queued('b'), 1)).toEqual({ granted: false, queued: true, position: 1, fresh: true });
  expect(book.request(queued('c'), 2)).toEqual({ granted: false, queued: true, position: 2, fresh: true });
  // A retry keeps its place, and says it is not the one that queued it.
  expect(book.request(queued('b'), 3)).toEqual({ granted: false, queued: true, position: 1, fresh: false });
  book.waiting('c');
  book.release('a');
  // b has not started yet: c, behind it, does not pass it.
  expect(book.admit(4)).toEqual([]);
  book.waiting('b');
  expect(book.admit(5)).toEqual(['b']);
  expect(book.admit(6)).toEqual([]);
  book.release('b');
  expect(book.admit(7)).toEqual(['c']);
  expect(book.view()).toMatchObject({ usage: { executions: 1 }, queued: 0 });
});

test('a queueing request goes behind those queued even when it would fit; a refusing one takes what is free', () => {
  const book = new LeaseBook();
  const quotas = { memoryMb: 1000 };
  book.request(ask('big-running', quotas, { memoryMb: 600, queue: true }), 0);
  expect(book.request(ask('big', quotas, { memoryMb: 600, queue: true }), 0)).toMatchObject({ queued: true });
  expect(book.request(ask('small', quotas, { memoryMb: 100, queue: true }), 0)).toMatchObject({
    queued: true,
    position: 2,
  });
  expect(book.request(ask('sandbox', quotas, { kind: 'sandbox', memoryMb: 100 }), 0)).toEqual({
    granted: true,
    fresh: true,
  });
});

test('a cancelled queued request leaves the line; holders are listed by age for the sweep', () => {
  const book = new LeaseBook();
  const quotas = { executions: 1 };
  book.request(ask('a', quotas, { queue: true }), 0);
  book.request(ask('b', quotas, { queue: true }), 10);
  expect(book.holders(5)).toEqual(['a']);
  expect(book.holders(11)).toEqual(['a', 'b']);
  expect(book.release('b')).toBe(true);
  expect(book.release('b')).toBe(false);
  expect(book.view().queued).toBe(0);
});

test('the book carries over to a new run whole', () => {
  const book = new LeaseBook();
  const quotas = { executions: 1 };
  book.request(ask('a', quotas, { queue: true }), 0);
  book.request(ask('b', quotas, { queue: true }), 0);
  book.waiting('b');
  const next = new LeaseBook(JSON.parse(JSON.stringify(book.carry())));
  expect(next.view()).toEqual(book.view());
  next.release('a');
  expect(next.admit(1)).toEqual(['b']);
});

test('an ended holder asked for again (an idempotent retry) is granted without taking room', () => {
  const book = new LeaseBook();
  const quotas = { executions: 1 };
  book.request(ask('a', quotas), 0);
  book.release('a', true);
  book.request(ask('b', quotas), 0);
  expect(book.request(ask('a', quotas), 0)).toEqual({ granted: true, fresh: false });
  expect(book.usage().executions).toBe(1);
  // One whose start failed was never run: asking again takes room as any new one does.
  book.release('b');
  expect(book.request(ask('b', quotas), 0)).toEqual({ granted: true, fresh: true });
  expect(new LeaseBook(book.carry()).request(ask('a', quotas), 0)).toEqual({ granted: true, fresh: false });
});

test('a line past its bound refuses; a head that lowered quotas made too big goes once nothing is held', () => {
  const book = new LeaseBook();
  const quotas = { executions: 1 };
  book.request(ask('running', quotas, { queue: true }), 0);
  for (let i = 0; i < MAX_QUEUED; i++) book.request(ask(`q${i}`, quotas, { queue: true }), 0);
  expect(book.request(ask('one-more', quotas, { queue: true }), 0)).toMatchObject({
    granted: false,
    queued: false,
    limit: 'executions',
  });

  const lowered = new LeaseBook();
  lowered.request(ask('a', { memoryMb: 1000 }, { memoryMb: 600, queue: true }), 0);
  lowered.request(ask('big', { memoryMb: 1000 }, { memoryMb: 600, queue: true }), 0);
  lowered.waiting('big');
  // The operator lowers the quota below the waiting one's size: it waits only for the book to empty.
  lowered.request(ask('other', { memoryMb: 500 }, { kind: 'sandbox', memoryMb: 600 }), 0);
  expect(lowered.admit(1)).toEqual([]);
  lowered.release('a');
  expect(lowered.admit(2)).toEqual(['big']);
});
