/**
 * Stored outputs in the deployment files: host workers write long stage outputs into the directory
 * their configuration names and the API serves them from its own, so in both layouts those
 * directories must be one shared volume, writable by every host.
 */
import { loadConfig } from '../../lib/node/config';
import { kubernetesPods, readCompose, type ComposeService } from '../support/deploy-files';

const API = 'node dist/api/server.js';
const HOST = 'node dist/workers/main.js host';

/** Where one process's outputs live: the volume mounted at its configured directory, and how. */
interface OutputMount {
  role: string;
  volume: string | undefined;
  readOnly: boolean;
}

describe('docker-compose.yml', () => {
  const compose = readCompose();
  const mountsOf = (service: ComposeService): OutputMount => {
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
  test('the API and host-worker pods mount one claim at the output directory, the hosts read-write', () => {
    const mounts: OutputMount[] = kubernetesPods()
      .filter(({ role }) => [API, HOST].includes(role))
      .map(({ pod, role, env }) => {
        const mount = pod.containers[0]!.volumeMounts?.find((m) => m.mountPath === loadConfig(env).outputs.dir);
        const claim = pod.volumes?.find((v) => v.name === mount?.name)?.persistentVolumeClaim;
        return { role, volume: claim?.claimName, readOnly: mount?.readOnly === true };
      });
    expect(mounts.map((m) => m.role).sort()).toEqual([API, HOST].sort());
    expect(mounts.every((m) => m.volume !== undefined)).toBe(true);
    expect(new Set(mounts.map((m) => m.volume)).size).toBe(1);
    expect(mounts.find((m) => m.role === HOST)!.readOnly).toBe(false);
  });
});
