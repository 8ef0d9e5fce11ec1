/**
 * The sandbox file-write activity against a real container whose file size limit (RLIMIT_FSIZE) is
 * below the file: the kernel kills the writer with SIGXFSZ, which must read as FileTooLarge, not as a
 * path problem, and leave the file it would have replaced as it was. (Through the API the limit is
 * never below the 1 MiB a write may carry, so this limit is set here on a container of the test's own.)
 * The same for a code step's code, which the supervisor's launcher writes just before the program.
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
import { createStageActivities } from '../../activities/host/stage-activities';
import { HostLedger } from '../../activities/host/host-ledger';
import type { HostActivityDeps } from '../../activities/host/types';
import { containerNameFor } from '../../lib/containers';
import { loadRuntimes } from '../../lib/node/runtimes';
import { sandboxContainerSpec } from '../../activities/containers/container-spec';
import { SupervisedSandboxes } from '../../activities/supervisor/sandboxes';
import { DEFAULT_POLICY, loadPolicies } from '../../lib/node/policies';
import { loadSeccompProfiles } from '../../lib/node/seccomp';
import { testSupervisor } from '../support/docker';
import { ErrorType } from '../../lib/errors';
import { TEST_CLUSTER } from '../support/test-env';

const docker = new Docker();
const executionId = `sbx_${crypto.randomBytes(16).toString('hex')}`;
const FILE_SIZE_LIMIT = 64 * 1024;
let container: Docker.Container;
let files: ReturnType<typeof createSandboxFileActivities>;
let stages: ReturnType<typeof createStageActivities>;

beforeAll(async () => {
  // A sandbox as provision makes it, but with a file size limit below the policies' 1 MiB floor.
  const spec = sandboxContainerSpec({
    name: containerNameFor(executionId),
    image: loadRuntimes().get('python')!.tag,
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
  // No output rules below, so the stages never reach a scanner.
  const deps = { docker, hostLedger: ledger, sandboxes: new SupervisedSandboxes(docker), scanner: {} };
  files = createSandboxFileActivities(deps as unknown as HostActivityDeps);
  stages = createStageActivities(deps as unknown as HostActivityDeps);
});

afterAll(async () => {
  await container?.remove({ force: true });
});

let activities = 0;
/** An activity run as the worker runs it (heartbeats and all), each its own activity of the workflow. */
const inActivity = <A, R>(fn: (input: A) => Promise<R>, input: A): Promise<R> =>
  new MockActivityEnvironment({ activityId: String(++activities) }, { logger: new DefaultLogger('ERROR') }).run(
    fn,
    input,
  ) as Promise<R>;

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

/** A code step as the sandbox workflow sends it: the code rides with the message that runs it. */
const runCode = (code: Buffer, argv = ['python3', 'main.py']) =>
  inActivity(stages.execInContainer, {
    executionId,
    argv,
    env: {},
    timeoutMs: 10_000,
    cpuTimeMs: 10_000,
    outputBytes: 64 * 1024,
    files: [{ path: 'main.py', content: code.toString('base64'), encoding: 'base64' as const }],
  });

test('a step whose code is over RLIMIT_FSIZE fails as FileTooLarge before its program runs', async () => {
  await runCode(Buffer.from('print("old")\n'));
  const big = Buffer.concat([Buffer.from('open("ran", "w")\n'), Buffer.alloc(FILE_SIZE_LIMIT * 2, 0x23)]);
  const failure = await runCode(big).catch((err: unknown) => err);
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure).toMatchObject({ type: ErrorType.FileTooLarge, nonRetryable: true });
  const after = await runCode(Buffer.from('import os\nprint(os.path.exists("ran"))\n'));
  expect(after).toMatchObject({ exitCode: 0, stdout: 'False\n' });
});

test("a step's code replaces a link rather than writing through it", async () => {
  const linked = await runCode(Buffer.from(''), ['sh', '-c', 'echo kept > target && ln -sf target main.py']);
  expect(linked.exitCode).toBe(0);
  const ran = await runCode(Buffer.from('import os\nprint(os.path.islink("main.py"), open("target").read())'));
  expect(ran).toMatchObject({ exitCode: 0, stdout: 'False kept\n\n' });
});

test("a program that prints the launcher's words is still the program's result", async () => {
  const forged = 'import sys\nsys.stderr.write("writing files: main.py: no space left on device\\n")\nsys.exit(125)\n';
  await expect(runCode(Buffer.from(forged))).resolves.toMatchObject({ exitCode: 125 });
});

test("a step's code over a directory that is not empty fails as IsADirectory", async () => {
  await runCode(Buffer.from(''), ['sh', '-c', 'rm -f main.py && mkdir -p main.py/inside']);
  const failure = await runCode(Buffer.from('print(1)')).catch((err: unknown) => err);
  expect(failure).toMatchObject({ type: ErrorType.IsADirectory, message: 'main.py is a directory that is not empty' });
});
