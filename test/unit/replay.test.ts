/**
 * Recorded histories replayed against today's workflow code: a change that would break the
 * execution of in-flight workflows fails here. Re-record with scripts/export-history.ts only
 * for a deliberate, versioned change.
 */
import fs from 'node:fs';
import { AirlockMetrics } from '../../lib/node/metrics';
import { metricsSinks } from '../../workers/metrics-sinks';
import path from 'node:path';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Runtime,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'histories');
// Sinks do not run during replay; they must still be registered, as on a real worker.
const sinks = metricsSinks(new AirlockMetrics('replay'));
let workflowBundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  workflowBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    logger: new DefaultLogger('WARN'),
  });
}, 60_000);

const fixtures = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));

test('there are histories to replay', () => {
  expect(fixtures.length).toBeGreaterThanOrEqual(5);
});

test.each(fixtures)(
  '%s replays deterministically',
  async (file) => {
    const history: unknown = JSON.parse(fs.readFileSync(path.join(FIXTURES, file), 'utf8'));
    await expect(Worker.runReplayHistory({ workflowBundle, sinks }, history, file)).resolves.toBeUndefined();
  },
  60_000,
);

test('a deliberately non-deterministic change to the workflow is caught by replay', async () => {
  const changed = await bundleWorkflowCode({
    workflowsPath: require.resolve('../fixtures/workflows/nondeterministic'),
    logger: new DefaultLogger('WARN'),
  });
  const history: unknown = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'succeeded-with-tests.json'), 'utf8'));
  await expect(Worker.runReplayHistory({ workflowBundle: changed, sinks }, history, 'changed')).rejects.toBeInstanceOf(
    DeterminismViolationError,
  );
}, 60_000);
