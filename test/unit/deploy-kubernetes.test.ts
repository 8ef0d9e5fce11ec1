/**
 * deploy/kubernetes, checked without a cluster or a network: each object against its kind's vendored
 * schema, then the invariants no schema can see, against the code they must agree with.
 */
import fs from 'node:fs';
import path from 'node:path';
import Ajv, { type AnySchemaObject, type ErrorObject, type ValidateFunction } from 'ajv';
import YAML from 'yaml';
import { loadConfig } from '../../lib/node/config';
import { PROJECT_ROOT } from '../../lib/node/paths';
import { HOSTS_QUEUE, ORCHESTRATION_QUEUE } from '../../lib/task-queues';
import {
  AIRLOCK_IMAGE,
  LONGEST_EXECUTION_MS,
  OTHER_VARIABLES,
  buildsImages,
  isObject,
  knownVariables,
  readJson,
  socketPath,
  type Json,
} from '../support/deploy-files';

const K8S_DIR = path.join(PROJECT_ROOT, 'deploy', 'kubernetes');
type Probe = { httpGet?: { port: number | string }; tcpSocket?: { port: number | string } };
interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  restartPolicy?: string;
  env?: Array<{ name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }>;
  envFrom?: Array<{ configMapRef?: { name: string } }>;
  ports?: Array<{ name?: string; containerPort: number }>;
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  resources?: { requests?: Json; limits?: Json };
  securityContext?: Json & { capabilities?: { drop?: string[] } };
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
}
interface PodSpec {
  automountServiceAccountToken?: boolean;
  terminationGracePeriodSeconds?: number;
  securityContext?: Json & { supplementalGroups?: number[] };
  initContainers?: Container[];
  containers: Container[];
  volumes?: Array<{ name: string; emptyDir?: Json }>;
}
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  spec?: Json;
}
interface Deployment extends K8sObject {
  spec: {
    replicas?: number;
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec };
  };
}
interface ScaledObject extends K8sObject {
  spec: {
    scaleTargetRef: { name: string; kind?: string };
    minReplicaCount: number;
    maxReplicaCount: number;
    advanced?: { horizontalPodAutoscalerConfig?: { behavior?: { scaleDown?: Json & { policies?: Json[] } } } };
    triggers: Array<{ type: string; metadata: Record<string, string> }>;
  };
}

const manifestFiles = fs.readdirSync(K8S_DIR).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml');
const objects = manifestFiles.flatMap((file) =>
  YAML.parseAllDocuments(fs.readFileSync(path.join(K8S_DIR, file), 'utf8')).map((doc) => doc.toJS() as K8sObject),
);
const ofKind = <T extends K8sObject>(kind: string): T[] => objects.filter((o) => o.kind === kind) as T[];
const deployments = ofKind<Deployment>('Deployment');
const configMaps = new Map(ofKind('ConfigMap').map((c) => [c.metadata.name, c.data ?? {}]));
const podOf = (d: Deployment): PodSpec => d.spec.template.spec;
const allContainers = (pod: PodSpec): Container[] => [...(pod.initContainers ?? []), ...pod.containers];
const isAirlock = (c: Container): boolean => AIRLOCK_IMAGE.test(c.image);
/** What a container's process sees: its ConfigMaps, then its own literal values. */
const environmentOf = (c: Container): Record<string, string> => ({
  ...Object.assign({}, ...(c.envFrom ?? []).map((e) => configMaps.get(e.configMapRef?.name ?? '') ?? {})),
  ...Object.fromEntries((c.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value])),
});
const roleOf = (d: Deployment): string | undefined => podOf(d).containers[0]!.command?.slice(1).join(' ');
const byRole = (role: string): Deployment => deployments.find((d) => roleOf(d) === role)!;
const isPrivileged = (c: Container): boolean => c.securityContext?.privileged === true;
const portNumber = (c: Container, port: number | string): number | undefined =>
  c.ports?.find((p) => p.name === port || p.containerPort === port)?.containerPort;

/** Adds what the API server enforces and the OpenAPI document leaves out, as kubeconform's strict schemas do. */
function strict(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strict);
  if (!isObject(node)) return node;
  const out = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, strict(v)]));
  // Unknown fields are rejected, unless the schema keeps them on purpose.
  if (isObject(node.properties) && !('additionalProperties' in node) && !node['x-kubernetes-preserve-unknown-fields'])
    out.additionalProperties = false;
  return out;
}

function kubernetesAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strictTypes: false });
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && Math.abs(n) < 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
  ajv.addFormat('byte', /^[A-Za-z0-9+/]*={0,2}$/);
  ajv.addFormat('date-time', { validate: (s: string) => !Number.isNaN(Date.parse(s)) });
  ajv.addVocabulary(['x-kubernetes-list-type', 'x-kubernetes-patch-strategy', 'x-kubernetes-patch-merge-key']);
  ajv.addVocabulary(['x-kubernetes-map-type', 'x-kubernetes-unions', 'x-kubernetes-group-version-kind']);
  ajv.addVocabulary(['x-kubernetes-int-or-string', 'x-kubernetes-validations']);
  // A list keyed by these fields (containers by name, env by name, ports by port): no key twice.
  ajv.addKeyword({
    keyword: 'x-kubernetes-list-map-keys',
    type: 'array',
    validate: (keys: string[], list: Json[]) =>
      new Set(list.map((item) => JSON.stringify(keys.map((k) => item[k])))).size === list.length,
  });
  return ajv;
}

function kubernetesValidators(): (o: K8sObject) => ValidateFunction {
  const ajv = kubernetesAjv();
  const { definitions } = readJson('kubernetes-v1.35.0.json') as { definitions: Record<string, AnySchemaObject> };
  // Both are strings in the OpenAPI document; the API server takes a number for either.
  definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString'] = { anyOf: [{ type: 'string' }, { type: 'integer' }] };
  const quantity = '^[+-]?(\\d+\\.?\\d*|\\.\\d+)([KMGTPE]i|[mkMGTPE]|[eE][+-]?\\d+)?$';
  definitions['io.k8s.apimachinery.pkg.api.resource.Quantity'] = {
    anyOf: [{ type: 'string', pattern: quantity }, { type: 'number' }],
  };
  ajv.addSchema({ $id: 'kubernetes', definitions: strict(definitions) as Json });
  const keda = ajv.compile(strict(readJson('keda-v2.20.2-scaledobject.json')) as Json);
  return ({ apiVersion, kind }) => {
    if (apiVersion === 'keda.sh/v1alpha1' && kind === 'ScaledObject') return keda;
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
    const name = Object.keys(definitions).find((d) =>
      (definitions[d]!['x-kubernetes-group-version-kind'] as Json[] | undefined)?.some(
        (gvk) => gvk.group === group && gvk.version === version && gvk.kind === kind,
      ),
    );
    if (!name) throw new Error(`no schema for ${apiVersion} ${kind} under deploy/schemas`);
    return ajv.getSchema(`kubernetes#/definitions/${name}`)!;
  };
}

describe('deploy/kubernetes', () => {
  const validatorFor = kubernetesValidators();
  const errorsOf = (o: K8sObject): ErrorObject[] => {
    const validate = validatorFor(o);
    return validate(o) ? [] : (validate.errors ?? []);
  };

  test.each(objects.map((o) => [`${o.kind} ${o.metadata.name}`, o]))('%s is valid for its kind', (_, object) => {
    expect(errorsOf(object)).toEqual([]);
  });

  test('the schemas reject a misspelt field, a duplicate container, a malformed quantity and an unknown KEDA field', () => {
    const api = (): Deployment => structuredClone(byRole('dist/api/server.js'));
    const misspelt = api();
    (podOf(misspelt).containers[0] as unknown as Json).imagePullPolicyy = 'Always';
    const duplicate = api();
    podOf(duplicate).containers.push(podOf(duplicate).containers[0]!);
    const malformed = api();
    podOf(malformed).containers[0]!.resources!.limits!.memory = '512MB';
    const scaler = structuredClone(ofKind<ScaledObject>('ScaledObject')[0]!);
    (scaler.spec as Json).minReplicas = 1;
    const keywords = (o: K8sObject): string[] => errorsOf(o).map((e) => e.keyword);
    expect(keywords(misspelt)).toContain('additionalProperties');
    expect(keywords(duplicate)).toContain('x-kubernetes-list-map-keys');
    expect(keywords(malformed)).toContain('pattern');
    expect(keywords(scaler)).toContain('additionalProperties');
  });

  test('the kustomization applies every manifest, all in the namespace it creates', () => {
    const kustomization = YAML.parse(fs.readFileSync(path.join(K8S_DIR, 'kustomization.yaml'), 'utf8')) as Json;
    expect([...(kustomization.resources as string[])].sort()).toEqual([...manifestFiles].sort());
    const [namespace] = ofKind('Namespace').map((n) => n.metadata.name);
    expect(kustomization.namespace).toBe(namespace);
    for (const o of objects.filter((o) => o.kind !== 'Namespace')) expect(o.metadata.namespace).toBe(namespace);
  });

  test('each worker Deployment is scaled by KEDA on its role task queue', () => {
    const queues = {
      'dist/workers/main.js orchestration': ORCHESTRATION_QUEUE,
      'dist/workers/main.js host': HOSTS_QUEUE,
    };
    const scaled = ofKind<ScaledObject>('ScaledObject').map(({ spec }) => {
      expect(spec.scaleTargetRef.kind ?? 'Deployment').toBe('Deployment');
      const target = deployments.find((d) => d.metadata.name === spec.scaleTargetRef.name)!;
      expect(target).toBeDefined();
      // KEDA owns the replica count; a count in the manifest would undo its work on every apply.
      expect(target.spec.replicas).toBeUndefined();
      expect(spec.minReplicaCount).toBeGreaterThanOrEqual(1);
      expect(spec.maxReplicaCount).toBeGreaterThan(spec.minReplicaCount);
      const [trigger, ...others] = spec.triggers;
      expect([trigger!.type, others]).toEqual(['temporal', []]);
      const role = roleOf(target)! as keyof typeof queues;
      expect(trigger!.metadata.taskQueue).toBe(queues[role]);
      const types = trigger!.metadata.queueTypes!.split(',');
      for (const type of types) expect(['workflow', 'activity', 'nexus']).toContain(type);
      if (role.endsWith('orchestration')) expect(types).toContain('workflow');
      // The scaler watches the server and namespace the worker itself connects to.
      const env = environmentOf(podOf(target).containers[0]!);
      const config = loadConfig(env);
      expect(env[trigger!.metadata.endpointFromEnv!]).toBe(config.temporalAddress);
      expect(env[trigger!.metadata.namespaceFromEnv!]).toBe(config.namespace);
      return role;
    });
    expect(scaled.sort()).toEqual(Object.keys(queues).sort());
  });

  test('hosts scale in one at a time and may drain for as long as the longest execution', () => {
    const hosts = byRole('dist/workers/main.js host');
    const scaler = ofKind<ScaledObject>('ScaledObject').find((s) => s.spec.scaleTargetRef.name === hosts.metadata.name);
    const scaleDown = scaler!.spec.advanced?.horizontalPodAutoscalerConfig?.behavior?.scaleDown;
    expect(scaleDown?.policies?.length).toBeGreaterThan(0);
    for (const policy of scaleDown!.policies!) expect(policy).toMatchObject({ type: 'Pods', value: 1 });
    expect(podOf(hosts).terminationGracePeriodSeconds! * 1000).toBeGreaterThanOrEqual(LONGEST_EXECUTION_MS);
  });

  test('Airlock containers get only variables the code reads, from ConfigMaps that exist', () => {
    for (const data of configMaps.values()) {
      for (const name of Object.keys(data)) expect(knownVariables).toContain(name);
      expect(() => loadConfig(data)).not.toThrow();
    }
    for (const c of deployments.flatMap((d) => allContainers(podOf(d))).filter(isAirlock)) {
      for (const { name } of c.env ?? []) expect(knownVariables).toContain(name);
      for (const { configMapRef } of c.envFrom ?? []) expect(configMaps.has(configMapRef!.name)).toBe(true);
    }
  });

  test('probes, scrape annotations and Services name ports the containers serve on', () => {
    for (const d of deployments) {
      const pod = podOf(d);
      for (const c of allContainers(pod))
        for (const probe of [c.startupProbe, c.livenessProbe, c.readinessProbe]) {
          const port = probe?.httpGet?.port ?? probe?.tcpSocket?.port;
          if (port !== undefined) expect(portNumber(c, port)).toBeDefined();
        }
      // The API server refuses probes on an init container unless it is a sidecar.
      for (const c of (pod.initContainers ?? []).filter((c) => c.restartPolicy !== 'Always'))
        expect([c.startupProbe, c.livenessProbe, c.readinessProbe].filter(Boolean)).toEqual([]);
      const scrapePort = Number(d.spec.template.metadata.annotations?.['prometheus.io/port']);
      const main = pod.containers[0]!;
      const config = loadConfig(environmentOf(main));
      // The ports the process listens on are the ones the pod declares; Prometheus scrapes the metrics one.
      const isApi = roleOf(d) === 'dist/api/server.js';
      const metricsPort = isApi ? config.apiMetricsPort : config.workerMetricsPort;
      expect(main.ports?.map((p) => p.containerPort)).toEqual(isApi ? [config.apiPort, metricsPort] : [metricsPort]);
      expect(scrapePort).toBe(metricsPort);
      expect(config.metricsHost).not.toMatch(/^127\./);
      if (isApi) expect(config.apiHost).not.toMatch(/^127\./);
      expect(d.spec.template.metadata.labels).toMatchObject(d.spec.selector.matchLabels);
    }
    for (const service of ofKind('Service')) {
      const { selector, ports } = service.spec as { selector: Json; ports: Array<{ targetPort: string | number }> };
      const [target, ...others] = deployments.filter(
        (d) =>
          isObject(d.spec.template.metadata.labels) &&
          Object.entries(selector).every(([k, v]) => d.spec.template.metadata.labels[k] === v),
      );
      expect(others).toEqual([]);
      const container = podOf(target!).containers[0]!;
      const metricsPort = loadConfig(environmentOf(container)).apiMetricsPort;
      for (const { targetPort } of ports) {
        expect(portNumber(container, targetPort)).toBeDefined();
        // Metrics are for Prometheus inside the cluster, not for the API's clients.
        expect(portNumber(container, targetPort)).not.toBe(metricsPort);
      }
    }
  });

  test('every container has requests and limits; only engines and image builds are privileged', () => {
    for (const pod of deployments.map(podOf)) {
      expect(pod.automountServiceAccountToken).toBe(false);
      for (const c of allContainers(pod)) {
        for (const bound of [c.resources?.requests, c.resources?.limits])
          expect(bound).toMatchObject({ cpu: expect.anything(), memory: expect.anything() });
        if (isPrivileged(c)) {
          expect(/^docker:[\w.-]*dind$/.test(c.image) || buildsImages(c)).toBe(true);
          continue;
        }
        const security = { ...pod.securityContext, ...c.securityContext };
        expect(security).toMatchObject({
          runAsNonRoot: true,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
        });
        expect(security.capabilities?.drop).toContain('ALL');
      }
    }
  });

  test('each host-worker pod has an engine of its own, with the images built before the worker starts', () => {
    const pod = podOf(byRole('dist/workers/main.js host'));
    const worker = pod.containers[0]!;
    const socket = socketPath(environmentOf(worker).DOCKER_HOST);
    const volume = worker.volumeMounts?.find((m) => m.mountPath === path.dirname(socket))?.name;
    // Pod-local: an emptyDir, not a path on the node.
    expect(pod.volumes?.find((v) => v.name === volume)?.emptyDir).toBeDefined();
    const served = (c: Container): boolean => c.volumeMounts?.some((m) => m.name === volume) ?? false;
    const inits = pod.initContainers ?? [];
    const engineAt = inits.findIndex((c) => c.restartPolicy === 'Always' && isPrivileged(c) && served(c));
    const engine = inits[engineAt]!;
    const engineDir = engine.volumeMounts!.find((m) => m.name === volume)!.mountPath;
    expect([...(engine.command ?? []), ...(engine.args ?? [])]).toContain(`--host=unix://${engineDir}/docker.sock`);
    const data = engine.volumeMounts!.find((m) => m.mountPath === '/var/lib/docker')!.name;
    expect(pod.volumes?.find((v) => v.name === data)?.emptyDir).toBeDefined();
    // The engine's socket group is the worker's, so the worker needs no root.
    const group = Number(engine.args?.find((a) => a.startsWith('--group='))?.slice('--group='.length));
    expect(pod.securityContext?.supplementalGroups).toContain(group);
    const images = inits.findIndex((c) => buildsImages(c) && c.restartPolicy === undefined && served(c));
    expect(images).toBeGreaterThan(engineAt);
    expect(socketPath(environmentOf(inits[images]!).DOCKER_HOST)).toBe(socket);
    // A host id per pod: queues are named after it, and it goes when the pod (and its engine) goes.
    const hostId = worker.env?.find((e) => e.name === 'AIRLOCK_HOST_ID');
    expect(hostId?.valueFrom?.fieldRef?.fieldPath).toBe('metadata.name');
  });
});

test.each(Object.entries(OTHER_VARIABLES))('%s is read by %s', (name, file) => {
  expect(fs.readFileSync(path.join(PROJECT_ROOT, file), 'utf8')).toContain(`process.env.${name}`);
});
