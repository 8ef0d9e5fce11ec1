/** What the deployment files are checked against: the vendored schemas and the code's own facts. */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { loadConfig } from '../../lib/node/config';
import { planUnderPolicy } from '../../lib/node/execution-plan';
import { PROJECT_ROOT } from '../../lib/node/paths';
import { loadPolicies } from '../../lib/node/policies';
import { loadRuntimes } from '../../lib/node/runtimes';
import type { ExecutionInput } from '../../lib/schemas/execution-request';

export type Json = Record<string, unknown>;
const SCHEMAS = path.join(PROJECT_ROOT, 'deploy', 'schemas');
export const AIRLOCK_IMAGE = /^airlock\/service(:|$)/;
export const readJson = (file: string): Json => JSON.parse(fs.readFileSync(path.join(SCHEMAS, file), 'utf8')) as Json;
export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every variable lib/node/config.ts reads: the config is loaded from an environment that records each read. */
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
  AIRLOCK_AUDIT_KEYS_DIR: 'lib/node/audit/signing-keys.ts',
  AIRLOCK_SCAN_BUDGET_MS: 'activities/scanner.ts',
  AIRLOCK_SCAN_THREADS: 'activities/scanner.ts',
  AIRLOCK_KEYS_FILE: 'lib/node/api-keys.ts',
  AIRLOCK_PAYLOAD_KEYS_FILE: 'lib/node/payload-codec.ts',
  AIRLOCK_PAYLOAD_ENCRYPTION: 'lib/node/payload-codec.ts',
  AIRLOCK_STATE_DIR: 'lib/node/paths.ts',
  DOCKER_HOST: 'node_modules/docker-modem/lib/modem.js',
};
export const knownVariables = new Set([...configVariables, ...Object.keys(OTHER_VARIABLES)]);

/** The longest budget (run, compile and test limits plus overhead) any shipped policy gives a single-run execution. */
function longestExecutionMs(): number {
  const runtimes = loadRuntimes().all();
  const budgets = [...loadPolicies().values()].flatMap((loaded) =>
    runtimes.map(({ manifest }) => {
      const { policy } = loaded;
      const { timeoutMs, cpuTimeMs, memoryMb } = policy.limits.ceilings;
      const input: ExecutionInput = {
        executionId: 'ex_1',
        tenant: 't',
        keyId: 'k',
        language: manifest.name,
        version: manifest.version,
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
      const plan = planUnderPolicy({ input, loaded, runtime: manifest });
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

/** A Compose service as the layout checks read it. */
export interface ComposeService {
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
}

/** docker-compose.yml, with its anchors merged. */
export function readCompose(): { services: Record<string, ComposeService>; volumes: Record<string, unknown> } {
  return YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, ComposeService>;
    volumes: Record<string, unknown>;
  };
}

export interface KubeContainer {
  command?: string[];
  envFrom?: Array<{ configMapRef?: { name: string } }>;
  env?: Array<{ name: string; value?: string }>;
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
}
export interface KubePodSpec {
  containers: KubeContainer[];
  volumes?: Array<{
    name: string;
    persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
    secret?: { secretName: string };
  }>;
}

/**
 * Each Deployment of deploy/kubernetes: its pod, its main container's command, and that container's
 * environment as the process sees it (its ConfigMaps, then its own values).
 */
export function kubernetesPods(): Array<{ pod: KubePodSpec; role: string; env: Record<string, string> }> {
  type Manifest = { kind: string; metadata: { name: string }; data?: Record<string, string>; spec?: unknown };
  const dir = path.join(PROJECT_ROOT, 'deploy', 'kubernetes');
  const objects = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) =>
      YAML.parseAllDocuments(fs.readFileSync(path.join(dir, f), 'utf8')).map((d) => d.toJS() as Manifest),
    );
  const configMaps = new Map(objects.filter((o) => o.kind === 'ConfigMap').map((o) => [o.metadata.name, o.data ?? {}]));
  return objects
    .filter((o) => o.kind === 'Deployment')
    .map((o) => (o.spec as { template: { spec: KubePodSpec } }).template.spec)
    .map((pod) => {
      const main = pod.containers[0]!;
      const env = Object.assign(
        {},
        ...(main.envFrom ?? []).map((e) => configMaps.get(e.configMapRef?.name ?? '') ?? {}),
        Object.fromEntries((main.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value])),
      ) as Record<string, string>;
      return { pod, role: main.command?.join(' ') ?? '', env };
    });
}
