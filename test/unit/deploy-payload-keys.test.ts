/**
 * Payload keys in the deployment files: every process that talks to Temporal encrypts and decrypts
 * with the same keys, so in both layouts the API and every worker must find one file at the path
 * their AIRLOCK_PAYLOAD_KEYS_FILE names, from one volume (Compose) or one Secret (Kubernetes). A
 * process with a key of its own would write what no other process can read.
 */
import path from 'node:path';
import { kubernetesPods, readCompose } from '../support/deploy-files';

const ROLES = ['node dist/api/server.js', 'node dist/workers/main.js orchestration', 'node dist/workers/main.js host'];

test('docker-compose.yml: the API and every worker mount one volume where their payload keys file is', () => {
  const compose = readCompose();
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
  const pods = kubernetesPods().filter(({ role }) => ROLES.includes(role));
  expect(pods.map((p) => p.role).sort()).toEqual([...ROLES].sort());
  const secrets = pods.map(({ pod, env }) => {
    const file = env.AIRLOCK_PAYLOAD_KEYS_FILE;
    expect(file).toBeDefined();
    const mount = pod.containers[0]!.volumeMounts?.find((m) => m.mountPath === path.dirname(file!));
    expect(mount?.readOnly).toBe(true);
    return pod.volumes?.find((v) => v.name === mount?.name)?.secret?.secretName;
  });
  expect(secrets.every((s) => s !== undefined)).toBe(true);
  expect(new Set(secrets).size).toBe(1);
});
