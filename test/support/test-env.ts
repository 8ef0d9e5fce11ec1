import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../lib/node/paths';
import type { DevServer } from './temporal-server';

/** Names a test run, so two runs from one checkout (say, two suites at once) keep apart. */
const RUN = process.env.AIRLOCK_TEST_RUN ?? '';

/**
 * Docker containers made by tests carry this cluster label, so the service's own reaper never
 * touches them, and neither does a test run from another checkout on the same engine (its reaper
 * and its clean-up would see containers whose workflows its own server never heard of).
 */
export const TEST_CLUSTER = `test-${crypto
  .createHash('sha256')
  .update(RUN ? `${PROJECT_ROOT}\0${RUN}` : PROJECT_ROOT)
  .digest('hex')
  .slice(0, 8)}`;

/** A namespace only the TLS test's workers serve, so what runs in it went through TLS. */
export const TLS_NAMESPACE = 'airlock-tls';
/** A namespace no worker ever polls: what waits on a worker there waits for ever. */
export const IDLE_NAMESPACE = 'airlock-idle';

export const TEST_DIR = path.join(PROJECT_ROOT, '.airlock', RUN ? `test-${RUN}` : 'test');
const STATE_FILE = path.join(TEST_DIR, 'state.json');

export interface TestEnvState {
  server: DevServer;
  namespace: string;
}

export function writeTestEnv(state: TestEnvState): void {
  fs.mkdirSync(TEST_DIR, { recursive: true });
  fs.writeFileSync(STATE_FILE, JSON.stringify(state, null, 2));
}

/** The dev server started by the global setup (tests that restart it write the new pid back). */
export function readTestEnv(): TestEnvState {
  if (!fs.existsSync(STATE_FILE)) throw new Error(`${STATE_FILE} is missing: run the integration tests through jest`);
  return JSON.parse(fs.readFileSync(STATE_FILE, 'utf8')) as TestEnvState;
}
