/**
 * Stored outputs in the deployment files: host workers write long stage outputs into the directory
 * their configuration names and the API serves them from its own, so in both layouts those
 * directories must be one shared volume, writable by every host.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { loadConfig } from '../../lib/config';
import { PROJECT_ROOT } from '../../lib/paths';

const API = 'node dist/api/server.js';
const HOST = 'node dist/workers/main.js host';

/** Where one process's outputs live: the volume mounted at its configured directory, and how. */
interface OutputMount {
  role: string;
  volume: string | undefined;
  readOnly: boolean;
}

describe('docker-compose.yml', () => {
  interface Service {
    command?: string[];
    environment?: Record<string, string>;
    volumes?: string[];
  }
  const compose = YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8'), {
    merge: true,
  }) as { services: Record<string, Service>; volumes: Record<string, unknown> };

  const mountsOf = (service: Service): OutputMount => {
    const dir = loadConfig(service.environment ?? {}).outputs.dir;
    const entry = (service.volumes ?? []).map((v) => v.split(':')).find(([, target]) => target === dir);
    return { role: service.command!.join(' '), volume: entry?.[0], readOnly: entry?.[2] === 'ro' };
  };
  const served = Object.values(compose.services).filter((s) => [API, HOST].includes(s.command?.join(' ') ?? ''));

  test('the API and every host mount one named volume at the output directory, the hosts read-write', () => {
    const mounts = served.map(mountsOf);
    expect(mounts.filter((m) => m.role === HOST).length).toBeGreaterThanOrEqual(2);
    expect(mounts.filter((m) => m.role === API)).toHaveLength(1);
    const volumes = new Set(mounts.map((m) => m.volume));
    expect(volumes.size).toBe(1);
    expect(compose.volumes).toHaveProperty([[...volumes][0]!]);
    for (const m of mounts.filter((m) => m.role === HOST)) expect(m.readOnly).toBe(false);
  });
});

describe('deploy/kubernetes', () => {
  interface Container {
    command?: string[];
    envFrom?: Array<{ configMapRef?: { name: string } }>;
    env?: Array<{ name: string; value?: string }>;
    volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
  }
  interface PodSpec {
    containers: Container[];
    volumes?: Array<{ name: string; persistentVolumeClaim?: { claimName: string; readOnly?: boolean } }>;
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
    .map((o) => (o.spec as { template: { spec: PodSpec } }).template.spec);

  const mountsOf = (pod: PodSpec): OutputMount => {
    const main = pod.containers[0]!;
    const env = Object.assign(
      {},
      ...(main.envFrom ?? []).map((e) => configMaps.get(e.configMapRef?.name ?? '') ?? {}),
      Object.fromEntries((main.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value])),
    ) as Record<string, string>;
    const mount = main.volumeMounts?.find((m) => m.mountPath === loadConfig(env).outputs.dir);
    const claim = pod.volumes?.find((v) => v.name === mount?.name)?.persistentVolumeClaim;
    return { role: main.command!.join(' '), volume: claim?.claimName, readOnly: mount?.readOnly === true };
  };

  test('the API and host-worker pods mount one claim at the output directory, the hosts read-write', () => {
    const mounts = pods.filter((p) => [API, HOST].includes(p.containers[0]!.command?.join(' ') ?? '')).map(mountsOf);
    expect(mounts.map((m) => m.role).sort()).toEqual([API, HOST].sort());
    expect(mounts.every((m) => m.volume !== undefined)).toBe(true);
    expect(new Set(mounts.map((m) => m.volume)).size).toBe(1);
    expect(mounts.find((m) => m.role === HOST)!.readOnly).toBe(false);
  });
});
