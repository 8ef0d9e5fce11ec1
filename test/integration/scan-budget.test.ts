/**
 * A scan past its budget is stopped, its worker thread terminated, and the gate fails closed with
 * the reason: on real scan threads (the compiled scan worker), with a budget too small for the input.
 */
import { createGateActivities } from '../../activities/orchestration/gate-activities';
import { ScanBudgetExceeded, createScanPool } from '../../activities/scanner';

const tight = createScanPool({ threads: 1, budgetMs: 5 });
const roomy = createScanPool({ threads: 1, budgetMs: 30_000 });
afterAll(async () => {
  await Promise.all([tight.close(), roomy.close()]);
});

const big = { path: 'main.py', text: `x = 1\n${'password = "Zq8#mP2$wL9x"\n'.repeat(100_000)}` };

test('a scan over its budget rejects with ScanBudgetExceeded; the same scan within budget answers', async () => {
  await expect(tight.secrets([big])).rejects.toBeInstanceOf(ScanBudgetExceeded);
  await expect(tight.secrets([big])).rejects.toThrow('the secrets scan did not finish within its 5 ms budget');
  await expect(roomy.secrets([big])).resolves.toHaveLength(100_000);
});

test('the secrets and imports gates fail closed, block with the reason, when their scan overruns', async () => {
  const { checkSecrets, checkImports } = createGateActivities({ scanner: tight });
  const files = [{ path: 'main.py', content: big.text, encoding: 'utf8' as const }];
  const secrets = await checkSecrets({ files, gate: { enabled: true, blockAt: 'never', warnAt: 'never' } });
  expect(secrets).toMatchObject({
    gate: 'secrets',
    verdict: 'block',
    findings: [],
    error: expect.stringContaining('5 ms budget'),
  });
  const many = [{ path: 'main.py', content: 'import os\n'.repeat(300_000), encoding: 'utf8' as const }];
  const imports = await checkImports({
    language: 'python',
    files: many,
    gate: { enabled: true, deny: ['subprocess'], severity: 'high', blockAt: 'high', warnAt: 'low' },
  });
  expect(imports).toMatchObject({ gate: 'imports', verdict: 'block', error: expect.stringContaining('budget') });
});
