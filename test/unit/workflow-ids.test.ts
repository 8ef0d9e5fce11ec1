import {
  EXECUTION_ID_PATTERN,
  idPattern,
  idempotentExecutionId,
  newExecutionId,
  prefixedId,
  SANDBOX_ID_PATTERN,
} from '../../lib/node/execution-ids';
import { newSandboxId } from '../../api/sandbox-service';

describe('workflow ids', () => {
  // Pinned: a client retrying with an Idempotency-Key it used before must reach the workflow it started then.
  test('an Idempotency-Key maps to the same execution id as it always has', () => {
    expect(idempotentExecutionId('acme', 'order-42')).toBe('ex_c493bc9bbeb88ba74eba4416ee88d99f');
    expect(idempotentExecutionId('acme', 'order-42')).toBe(idempotentExecutionId('acme', 'order-42'));
  });

  test('an Idempotency-Key maps to the same sandbox id as it always has', () => {
    expect(newSandboxId('acme', 'order-42')).toBe('sbx_12dd94c2b8dbcc06bf3edfcf09abd55c');
    expect(newSandboxId('acme', 'order-42')).toBe(newSandboxId('acme', 'order-42'));
  });

  test('one key names different workflows for different tenants, and a sandbox apart from an execution', () => {
    expect(idempotentExecutionId('other', 'order-42')).not.toBe(idempotentExecutionId('acme', 'order-42'));
    expect(newSandboxId('other', 'order-42')).not.toBe(newSandboxId('acme', 'order-42'));
    expect(newSandboxId('acme', 'order-42').slice('sbx_'.length)).not.toBe(
      idempotentExecutionId('acme', 'order-42').slice('ex_'.length),
    );
    // The parts are NUL-joined, so moving text across the boundary changes the id.
    expect(idempotentExecutionId('acme', 'b')).not.toBe(idempotentExecutionId('acmeb', ''));
  });

  test('ids without a key are fresh and match their pattern', () => {
    const executions = new Set(Array.from({ length: 100 }, () => newExecutionId()));
    const sandboxes = new Set(Array.from({ length: 100 }, () => newSandboxId('acme')));
    expect(executions.size).toBe(100);
    expect(sandboxes.size).toBe(100);
    for (const id of executions) expect(id).toMatch(EXECUTION_ID_PATTERN);
    for (const id of sandboxes) expect(id).toMatch(SANDBOX_ID_PATTERN);
    expect(idempotentExecutionId('acme', 'k')).toMatch(EXECUTION_ID_PATTERN);
    expect(newSandboxId('acme', 'k')).toMatch(SANDBOX_ID_PATTERN);
  });

  test('a pattern accepts only its own prefix and exactly 32 lower-case hex digits', () => {
    const pattern = idPattern('ex');
    expect(pattern.test(prefixedId('ex'))).toBe(true);
    expect(pattern.test(prefixedId('sbx'))).toBe(false);
    expect(pattern.test(`ex_${'0'.repeat(31)}`)).toBe(false);
    expect(pattern.test(`ex_${'0'.repeat(33)}`)).toBe(false);
    expect(pattern.test(`ex_${'A'.repeat(32)}`)).toBe(false);
    expect(pattern.test(`xex_${'0'.repeat(32)}`)).toBe(false);
  });
});
