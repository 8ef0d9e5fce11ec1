/**
 * docker-compose.yml, checked without an engine or a network: against the vendored Compose schema,
 * then the invariants no schema can see, against the code they must agree with.
 */
import fs from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import YAML from 'yaml';
import { PROJECT_ROOT } from '../../lib/node/paths';
import {
  AIRLOCK_IMAGE,
  LONGEST_EXECUTION_MS,
  buildsImages,
  knownVariables,
  readJson,
  socketPath,
  type Json,
} from '../support/deploy-files';

/** Mount sources by target, from Compose's short syntax (`source:target[:mode]`). */
const mounts = (volumes: string[] = []): Map<string, string> =>
  new Map(volumes.map((v) => v.split(':')).map(([source, target]) => [target!, source!]));
interface ComposeService {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  privileged?: boolean;
  depends_on?: string[] | Record<string, { condition?: string }>;
  pid?: string;
  restart?: string;
  stop_grace_period?: string;
}
const composeText = fs.readFileSync(path.join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8');
const compose = YAML.parse(composeText, { merge: true }) as { services: Record<string, ComposeService> };
const services = Object.entries(compose.services);
const airlockServices = services.filter(([, s]) => AIRLOCK_IMAGE.test(s.image ?? ''));
const dependencies = (s: ComposeService): Record<string, { condition?: string }> =>
  Array.isArray(s.depends_on) ? Object.fromEntries(s.depends_on.map((d) => [d, {}])) : (s.depends_on ?? {});
const isHostWorker = (s: ComposeService): boolean => s.command?.join(' ') === 'node dist/workers/main.js host';
const isEngine = (s: ComposeService): boolean => /^docker:[\w.-]*dind$/.test(s.image ?? '');
const durationMs = (d = '0s'): number =>
  [...d.matchAll(/(\d+)(h|ms|m|s)/g)].reduce(
    (ms, [, n, u]) => ms + Number(n) * { h: 3.6e6, m: 6e4, s: 1e3, ms: 1 }[u!]!,
    0,
  );

describe('docker-compose.yml', () => {
  // The vendored schema is not written for Ajv's strict-types lint; unknown keywords still fail.
  const validate = new Ajv2020({ allErrors: true, allowUnionTypes: true, strictTypes: false }).compile(
    readJson('compose-spec.json'),
  );

  test('is a valid Compose file, and the schema rejects a misspelt key', () => {
    expect(validate(compose) ? [] : validate.errors).toEqual([]);
    const broken = YAML.parse(composeText, { merge: true }) as { services: Record<string, Json> };
    broken.services.api!.enviroment = {};
    expect(validate(broken)).toBe(false);
  });

  test('every dependency and shared namespace names a service', () => {
    for (const [, s] of services) {
      const named = [...Object.keys(dependencies(s)), ...(s.pid?.startsWith('service:') ? [s.pid.slice(8)] : [])];
      for (const name of named) expect(compose.services).toHaveProperty([name]);
    }
  });

  test.each(airlockServices.map(([name]) => name))('%s starts an entry point that exists in the source', (name) => {
    const [node, entry] = compose.services[name]!.command!;
    expect(node).toBe('node');
    expect(fs.existsSync(path.join(PROJECT_ROOT, entry!.replace(/^dist\//, '').replace(/\.js$/, '.ts')))).toBe(true);
  });

  test('the Temporal server the processes use keeps its state in PostgreSQL', () => {
    const addresses = new Set(airlockServices.map(([, s]) => s.environment?.TEMPORAL_ADDRESS));
    expect(addresses.size).toBe(1);
    const [serverName] = [...addresses][0]!.split(':');
    const server = compose.services[serverName!]!;
    expect(server.image).toMatch(/^temporalio\/(auto-setup|server):/);
    expect(server.environment?.DB).toBe('postgres12');
    const database = server.environment!.POSTGRES_SEEDS!;
    expect(compose.services[database]?.image).toMatch(/^postgres:/);
    expect(dependencies(server)).toHaveProperty([database]);
  });

  test('runs at least two hosts, each with its own id, engine and images', () => {
    const hosts = airlockServices.filter(([, s]) => isHostWorker(s));
    expect(hosts.length).toBeGreaterThanOrEqual(2);
    const ids = hosts.map(([, s]) => s.environment?.AIRLOCK_HOST_ID);
    expect(new Set(ids).size).toBe(hosts.length);
    const engines = hosts.map(([, host]) => {
      const socket = socketPath(host.environment?.DOCKER_HOST);
      const volume = mounts(host.volumes).get(path.dirname(socket));
      expect(volume).toBeDefined();
      const mountsVolume = (s: ComposeService): string | undefined =>
        [...mounts(s.volumes)].find(([, source]) => source === volume)?.[0];
      // The engine serves that socket from the same volume, and the worker sees its pids and image store.
      const [engineName, engine] = services.find(([, s]) => isEngine(s) && mountsVolume(s) !== undefined)!;
      expect(engine.command).toContain(`--host=unix://${mountsVolume(engine)}/docker.sock`);
      expect(host.pid).toBe(`service:${engineName}`);
      expect(mounts(host.volumes).get('/var/lib/docker')).toBe(mounts(engine.volumes).get('/var/lib/docker'));
      // A one-shot job builds the images into that engine before the worker starts.
      const builders = services.filter(([, s]) => buildsImages(s) && s.restart === 'no' && mountsVolume(s));
      expect(builders.map(([name]) => dependencies(host)[name]?.condition)).toContain('service_completed_successfully');
      expect(dependencies(host)[engineName]?.condition).toBe('service_healthy');
      return engineName;
    });
    expect(new Set(engines).size).toBe(hosts.length);
  });

  test('Airlock processes are given only variables the code reads', () => {
    for (const [, s] of airlockServices)
      for (const name of Object.keys(s.environment ?? {})) expect(knownVariables).toContain(name);
  });

  test('only engines and image builds are privileged, and the API has no engine socket', () => {
    for (const [, s] of services) if (s.privileged) expect(isEngine(s) || buildsImages(s)).toBe(true);
    const api = compose.services.api!;
    expect([...mounts(api.volumes).keys()].filter((target) => /docker|engine/.test(target))).toEqual([]);
  });

  test('host workers may drain for as long as the longest execution', () => {
    const hosts = airlockServices.filter(([, s]) => isHostWorker(s));
    expect(hosts).not.toEqual([]);
    for (const [, s] of hosts) expect(durationMs(s.stop_grace_period)).toBeGreaterThanOrEqual(LONGEST_EXECUTION_MS);
  });
});
