/**
 * Payload keys in the deployment files: every process that talks to Temporal encrypts and decrypts
 * with the same keys, so in both layouts the API and every worker must find one file at the path
 * their AIRLOCK_PAYLOAD_KEYS_FILE names, from one volume (Compose) or one Secret (Kubernetes). A
 * process with a key of its own would write what no other process can read.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { PROJECT_ROOT } from '../../lib/paths';

const ROLES = ['node dist/api/server.js', 'node dist/workers/main.js orchestration', 'node dist/workers/main.js host'];

test('docker-compose.yml: the API and every worker mount one volume where their payload keys file is', () => {
  interface Service {
    command?: string[];
    environment?: Record<string, string>;
    volumes?: string[];
  }
  const compose = YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8'), {
    merge: true,
  }) as { services: Record<string, Service>; volumes: Record<string, unknown> };
  const served = Object.values(compose.services).filter((s) => ROLES.includes(s.command?.join(' ') ?? ''));
  expect(new Set(served.map((s) => s.command!.join(' ')))).toEqual(new Set(ROLES));
  const volumes = served.map((s) => {
    const file = s.environment?.AIRLOCK_PAYLOAD_KEYS_FILE;
    expect(file).toBeDefined();
    return (s.volumes ?? []).map((v) => v.split(':')).find(([, target]) => target === path.dirname(file!))?.[0];
  });
  expect(volumes.every((v) => v !== undefined)).toBe(true);
  expect(new Set(volumes).size).toBe(1);
  expect(compose.volumes).toHaveProperty([volumes[0]!]);
});

test('deploy/kubernetes: the API and both workers mount one Secret where their payload keys file is', () => {
  interface Container {
    command?: string[];
    envFrom?: Array<{ configMapRef?: { name: string } }>;
    env?: Array<{ name: string; value?: string }>;
    volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
  }
  interface PodSpec {
    containers: Container[];
    volumes?: Array<{ name: string; secret?: { secretName: string } }>;
  }
  type Manifest = { kind: string; metadata: { name: string }; data?: Record<string, string>; spec?: unknown };
  const dir = path.join(PROJECT_ROOT, 'deploy', 'kubernetes');
  const objects = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) =>
      YAML.parseAllDocuments(fs.readFileSync(path.join(dir, f), 'utf8')).map((d) => d.toJS() as Manifest),
    );
  const configMaps = new Map(objects.filter((o) => o.kind === 'ConfigMap').map((o) => [o.metadata.name, o.data ?? {}]));
  const pods = objects
    .filter((o) => o.kind === 'Deployment')
    .map((o) => (o.spec as { template: { spec: PodSpec } }).template.spec)
    .filter((p) => ROLES.includes(p.containers[0]!.command?.join(' ') ?? ''));
  expect(pods).toHaveLength(ROLES.length);
  const secrets = pods.map((pod) => {
    const main = pod.containers[0]!;
    const env = Object.assign(
      {},
      ...(main.envFrom ?? []).map((e) => configMaps.get(e.configMapRef?.name ?? '') ?? {}),
      Object.fromEntries((main.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value])),
    ) as Record<string, string>;
    const file = env.AIRLOCK_PAYLOAD_KEYS_FILE;
    expect(file).toBeDefined();
    const mount = main.volumeMounts?.find((m) => m.mountPath === path.dirname(file!));
    expect(mount?.readOnly).toBe(true);
    return pod.volumes?.find((v) => v.name === mount?.name)?.secret?.secretName;
  });
  expect(secrets.every((s) => s !== undefined)).toBe(true);
  expect(new Set(secrets).size).toBe(1);
});
