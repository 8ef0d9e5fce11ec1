/** What the deployment files are checked against: the vendored schemas and the code's own facts. */
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../lib/config';
import { evaluateGateUnder } from '../../lib/gate';
import { PROJECT_ROOT } from '../../lib/paths';
import { loadPolicies } from '../../lib/policies';
import { loadRuntimes } from '../../lib/runtimes';
import type { ExecutionInput } from '../../lib/schemas/execution-request';

export type Json = Record<string, unknown>;
const SCHEMAS = path.join(PROJECT_ROOT, 'deploy', 'schemas');
export const AIRLOCK_IMAGE = /^airlock\/service(:|$)/;
export const readJson = (file: string): Json => JSON.parse(fs.readFileSync(path.join(SCHEMAS, file), 'utf8')) as Json;
export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every variable lib/config.ts reads: the config is loaded from an environment that records each read. */
const configVariables = new Set<string>();
const recordingEnvironment = new Proxy(
  {},
  {
    get: (_target, name) => {
      if (typeof name === 'string') configVariables.add(name);
      return undefined;
    },
  },
);
loadConfig(recordingEnvironment);
/** The few read elsewhere, each by the file named (checked in deploy-kubernetes.test.ts). */
export const OTHER_VARIABLES: Record<string, string> = {
  AIRLOCK_AUDIT_KEYS_DIR: 'lib/audit/signing-keys.ts',
  AIRLOCK_SCAN_BUDGET_MS: 'activities/scanner.ts',
  AIRLOCK_SCAN_THREADS: 'activities/scanner.ts',
  AIRLOCK_KEYS_FILE: 'lib/api-keys.ts',
  AIRLOCK_PAYLOAD_KEYS_FILE: 'lib/payload-codec.ts',
  AIRLOCK_PAYLOAD_ENCRYPTION: 'lib/payload-codec.ts',
  AIRLOCK_STATE_DIR: 'lib/paths.ts',
  DOCKER_HOST: 'node_modules/docker-modem/lib/modem.js',
};
export const knownVariables = new Set([...configVariables, ...Object.keys(OTHER_VARIABLES)]);

/** The longest budget (run, compile and test limits plus overhead) any shipped policy gives a single-run execution. */
function longestExecutionMs(): number {
  const runtimes = [...loadRuntimes()];
  const budgets = [...loadPolicies().values()].flatMap((loaded) =>
    runtimes.map(([language, { manifest }]) => {
      const { policy } = loaded;
      const { timeoutMs, cpuTimeMs, memoryMb } = policy.limits.ceilings;
      const input: ExecutionInput = {
        executionId: 'ex_1',
        tenant: 't',
        keyId: 'k',
        language,
        policy: policy.name,
        files: [],
        entrypoint: manifest.sourceFile,
        args: [],
        env: {},
        limits: { timeoutMs, cpuTimeMs, memoryMb },
        tests: { files: [] },
        normalizeTrailingWhitespace: true,
        submittedAt: '',
      };
      const plan = evaluateGateUnder(input, loaded, manifest);
      return plan.decision === 'pass' ? plan.budgetMs : 0;
    }),
  );
  return Math.max(...budgets);
}
export const LONGEST_EXECUTION_MS = longestExecutionMs();

export const socketPath = (dockerHost: string | undefined): string => (dockerHost ?? '').replace(/^unix:\/\//, '');
/** Whether a service or container runs the runtime-image build. */
export const buildsImages = (s: { command?: string[] }): boolean =>
  s.command?.includes('dist/scripts/build-images.js') ?? false;
