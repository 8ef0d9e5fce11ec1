import path from 'node:path';
import { PROJECT_ROOT } from '../../lib/node/paths';

/** The venv scripts/lib.sh (`ensure_e2b_python`) installs the pinned E2B SDK and the example into. */
export const E2B_PYTHON = process.env.AIRLOCK_E2B_PYTHON ?? path.join(PROJECT_ROOT, '.airlock/venvs/e2b/bin/python');

/** What a user sets to point the stock E2B SDKs at an Airlock API: nothing else. */
export function e2bEnvironment(url: string, key: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    E2B_API_URL: url,
    E2B_SANDBOX_URL: url,
    E2B_API_KEY: key,
  };
}
