/**
 * The sandbox file-write activity against a real container whose file size limit (RLIMIT_FSIZE) is
 * below the file: the kernel kills the writer with SIGXFSZ, which must read as FileTooLarge, not as a
 * path problem, and leave the file it would have replaced as it was. (Through the API the limit is
 * never below the 1 MiB a write may carry, so this limit is set here on a container of the test's own.)
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { DefaultLogger } from '@temporalio/worker';
import { createSandboxFileActivities } from '../../activities/host/sandbox-files';
import { HostLedger } from '../../activities/host/host-ledger';
import type { HostActivityDeps } from '../../activities/host/types';
import { containerNameFor, imageTagFor } from '../../lib/containers';
import { sandboxContainerSpec } from '../../activities/host/container-spec';
import { SupervisedSandboxes } from '../../activities/host/supervisor/sandboxes';
import { DEFAULT_POLICY, loadPolicies } from '../../lib/policies';
import { loadSeccompProfiles } from '../../lib/seccomp';
import { testSupervisor } from '../support/docker';
import { ErrorType } from '../../lib/errors';
import { TEST_CLUSTER } from '../support/test-env';

const docker = new Docker();
const executionId = `sbx_${crypto.randomBytes(16).toString('hex')}`;
const FILE_SIZE_LIMIT = 64 * 1024;
let container: Docker.Container;
let files: ReturnType<typeof createSandboxFileActivities>;

beforeAll(async () => {
  // A sandbox as provision makes it, but with a file size limit below the policies' 1 MiB floor.
  const spec = sandboxContainerSpec({
    name: containerNameFor(executionId),
    image: imageTagFor('python'),
    limits: { ...loadPolicies().get(DEFAULT_POLICY)!.policy.limits.defaults, memoryMb: 64 },
    container: { memoryMb: 64, cpuTimeMs: 10_000 },
    runtime: 'runc',
    seccompJson: loadSeccompProfiles().get('strict')!.json,
    supervisor: await testSupervisor(),
    labels: { cluster: TEST_CLUSTER, executionId, hostId: 'sandbox-file-writes', deadlineAt: Date.now() + 600_000 },
  });
  spec.HostConfig!.Ulimits = spec.HostConfig!.Ulimits!.map((u) =>
    u.Name === 'fsize' ? { Name: 'fsize', Soft: FILE_SIZE_LIMIT, Hard: FILE_SIZE_LIMIT } : u,
  );
  container = await docker.createContainer(spec);
  await container.start();
  const ledger = new HostLedger(fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-ledger-')));
  files = createSandboxFileActivities({
    docker,
    hostLedger: ledger,
    sandboxes: new SupervisedSandboxes(docker),
  } as unknown as HostActivityDeps);
});

afterAll(async () => {
  await container?.remove({ force: true });
});

/** An activity run as the worker runs it (heartbeats and all), typed as the activity returns. */
const inActivity = <A, R>(fn: (input: A) => Promise<R>, input: A): Promise<R> =>
  new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') }).run(fn, input) as Promise<R>;

const write = (filePath: string, bytes: Buffer) =>
  inActivity(files.writeSandboxFiles, {
    executionId,
    files: [{ path: filePath, content: bytes.toString('base64'), encoding: 'base64' as const }],
  });

test('a file within the limit is written', async () => {
  const [written] = await write('data/small.bin', Buffer.alloc(1024, 1));
  expect(written).toMatchObject({ path: 'data/small.bin', bytes: 1024 });
});

test('a file over RLIMIT_FSIZE fails as FileTooLarge and the old file stays whole', async () => {
  const failure = await write('data/small.bin', Buffer.alloc(FILE_SIZE_LIMIT * 2, 2)).catch((err: unknown) => err);
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure).toMatchObject({ type: ErrorType.FileTooLarge, nonRetryable: true });
  expect((failure as Error).message).toBe("data/small.bin is over the sandbox's file size limit");
  const read = await inActivity(files.readSandboxFile, {
    executionId,
    path: 'data/small.bin',
    maxBytes: 1 << 20,
  });
  expect(Buffer.from(read.contentBase64, 'base64')).toEqual(Buffer.alloc(1024, 1));
});
