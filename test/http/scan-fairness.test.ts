/**
 * One tenant's pathological submissions cannot stall another's: while tenant A sends three inputs at
 * the policy's size limit built to make the gates slow (a keyword repeated for a megabyte, in the
 * code and in the output), tenant B's hello world still answers promptly. Before the scans were
 * linear and off the event loop, B waited over three minutes and the worker had to be killed.
 */
import type { ExecutionResult } from '../../lib/schemas/execution-result';
import { TERMINAL_STATUSES } from '../../lib/vocabulary';
import { eventually } from '../support/docker';
import { useTestApi } from '../support/api';

const api = useTestApi();

/** Just under default's 1 MiB input limit: a comment of one secret-sounding word, and output of it. */
const PATHOLOGICAL = `print("token" * 50000)\n#${'token'.repeat(200_000)}\n`;

test('tenant B’s hello world answers while tenant A floods the gates', async () => {
  const flood = await Promise.all(
    [1, 2, 3].map(() => api.post('/v1/executions', { language: 'python', code: PATHOLOGICAL })),
  );
  expect(flood.map((r) => r.status)).toEqual([202, 202, 202]);

  const started = Date.now();
  const hello = await api.post(
    '/v1/executions?wait=true',
    { language: 'python', code: 'print("ok")' },
    api.otherTenantKey,
  );
  const answeredInMs = Date.now() - started;
  expect(hello.status).toBe(200);
  expect((hello.body as ExecutionResult).run?.stdout).toBe('ok\n');
  // A hello world takes about half a second here; the bound leaves room for a loaded CI machine,
  // and is far below the minutes the quadratic scans took.
  expect(answeredInMs).toBeLessThan(20_000);

  // Tenant A's executions end too, each scanned in full: the secrets gate passed them (one word
  // repeated is no credential), and the output gate read the whole 250 KB.
  for (const { body } of flood) {
    const result = await eventually(
      `${body.id} to finish`,
      async () => {
        const res = await api.get(`/v1/executions/${body.id}`);
        return (TERMINAL_STATUSES as readonly string[]).includes(res.body.status)
          ? (res.body as ExecutionResult)
          : undefined;
      },
      120_000,
    );
    expect(result.status).toBe('succeeded');
    expect(result.gates.find((g) => g.gate === 'secrets')).toMatchObject({ verdict: 'pass', error: null });
    expect(result.run?.stdoutBytes).toBe(250_001);
  }
});
