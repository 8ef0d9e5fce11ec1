/**
 * Temporal in production: workers and a client set up only through Temporal's own environment
 * variables (TLS with a private CA, a client certificate, an API key) run an execution through a
 * frontend that demands all three, and that frontend refuses whoever lacks one. The workers serve
 * a namespace no other test's workers do, so every step of it went through TLS.
 */
import crypto from 'node:crypto';
import { Connection } from '@temporalio/client';
import fs from 'node:fs';
import { ExecutionService } from '../../api/execution-service';
import { loadConfig } from '../../lib/node/config';
import { normalizeRequest } from '../../lib/node/normalize-request';
import { loadRuntimes } from '../../lib/node/runtimes';
import { ExecutionRequest } from '../../lib/schemas/execution-request';
import type { ExecutionResult } from '../../lib/schemas/execution-result';
import { connectWithRetry, createClient } from '../../lib/node/temporal';
import { TEST_CLUSTER, TLS_NAMESPACE, readTestEnv } from '../support/test-env';
import { makeTestPki, TlsFrontend, type TestPki } from '../support/temporal-tls-frontend';
import { WorkerProcess } from '../support/worker-process';
import { removeContainers } from '../support/docker';
import Docker from 'dockerode';
import { LABELS } from '../../lib/containers';

const API_KEY = `tk_${crypto.randomBytes(16).toString('hex')}`;
// A label of their own: their reaper must not judge other tests' containers by this namespace.
const CLUSTER = `${TEST_CLUSTER}-tls`;
let pki: TestPki;
let frontend: TlsFrontend;
let workers: WorkerProcess[] = [];
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  pki = makeTestPki();
  frontend = await TlsFrontend.start({ upstream: readTestEnv().server.address, pki, mtls: true, apiKey: API_KEY });
  env = {
    TEMPORAL_NAMESPACE: TLS_NAMESPACE,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.caCert,
    TEMPORAL_TLS_CLIENT_CERT_PATH: pki.clientCert,
    TEMPORAL_TLS_CLIENT_KEY_PATH: pki.clientKey,
    TEMPORAL_TLS_SERVER_NAME: 'localhost',
    TEMPORAL_API_KEY: API_KEY,
  };
  workers = await Promise.all([
    WorkerProcess.start('orchestration', { address: frontend.address, cluster: CLUSTER, env }),
    WorkerProcess.start('host', { address: frontend.address, cluster: CLUSTER, hostId: `tls-${process.pid}`, env }),
  ]);
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await frontend?.stop();
  await removeContainers(new Docker(), [`${LABELS.cluster}=${CLUSTER}`]);
  if (pki) fs.rmSync(pki.dir, { recursive: true, force: true });
});

test('TLS, a client certificate and an API key from the environment carry an execution end to end', async () => {
  const config = loadConfig({ ...process.env, ...env, TEMPORAL_ADDRESS: frontend.address });
  expect(config.namespace).toBe(TLS_NAMESPACE);
  expect(config.temporal).toMatchObject({
    address: frontend.address,
    apiKey: API_KEY,
    tls: { serverNameOverride: 'localhost' },
  });
  const connection = await connectWithRetry(config.temporal, 10_000);
  try {
    const client = createClient(connection, config.namespace);
    const input = normalizeRequest(ExecutionRequest.parse({ language: 'python', code: 'print(6 * 7)' }), {
      tenant: 'default',
      keyId: 'tls-test',
      runtime: loadRuntimes().get('python')!.manifest,
    });
    await new ExecutionService(client).submit(input);
    const result = (await client.workflow.getHandle(input.executionId).result()) as ExecutionResult;
    expect(result.status).toBe('succeeded');
    expect(result.run?.stdout).toBe('42\n');
  } finally {
    await connection.close();
  }
  // The workflow and its activities were taken and answered through the frontend.
  expect(frontend.methods).toEqual(
    expect.arrayContaining([
      'PollWorkflowTaskQueue',
      'RespondWorkflowTaskCompleted',
      'PollActivityTaskQueue',
      'RespondActivityTaskCompleted',
    ]),
  );
  expect(frontend.refused).toBe(0);
});

test('the frontend refuses a client without its certificate, with a wrong API key, or in the clear', async () => {
  const tls = { serverRootCACertificate: fs.readFileSync(pki.caCert), serverNameOverride: 'localhost' };
  const clientCertPair = { crt: fs.readFileSync(pki.clientCert), key: fs.readFileSync(pki.clientKey) };
  const attempt = async (options: Parameters<typeof Connection.connect>[0]) => {
    const connection = await Connection.connect({ ...options, address: frontend.address, connectTimeout: 3_000 });
    try {
      await connection.workflowService.getSystemInfo({});
    } finally {
      await connection.close();
    }
  };
  await expect(attempt({ tls, apiKey: API_KEY })).rejects.toThrow();
  const refusedBefore = frontend.refused;
  // UNAUTHENTICATED, from the frontend's key check (the connection's first call fails with it).
  const wrongKey = await attempt({ tls: { ...tls, clientCertPair }, apiKey: 'wrong' }).catch((err: Error) => err);
  expect((wrongKey as { cause?: { code?: number } }).cause?.code).toBe(16);
  expect(frontend.refused).toBeGreaterThan(refusedBefore);
  await expect(attempt({ tls: false })).rejects.toThrow();
  // And with all three, it answers.
  await expect(attempt({ tls: { ...tls, clientCertPair }, apiKey: API_KEY })).resolves.toBeUndefined();
});

test('bad Temporal settings are an error at start that names them', () => {
  expect(() =>
    loadConfig({
      TEMPORAL_TLS_CLIENT_CERT_PATH: '/nonexistent/client.crt',
      TEMPORAL_TLS_CLIENT_KEY_PATH: '/nonexistent/client.key',
    }),
  ).toThrow(/^Temporal connection settings: .*nonexistent/);
});
