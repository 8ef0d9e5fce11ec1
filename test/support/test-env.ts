import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../lib/paths';
import type { DevServer } from './temporal-server';

/** Docker containers made by tests carry this cluster label, so the service's own reaper never touches them. */
export const TEST_CLUSTER = 'test';

export const TEST_DIR = path.join(PROJECT_ROOT, '.airlock', 'test');
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
