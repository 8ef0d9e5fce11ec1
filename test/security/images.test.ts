/**
 * The hardening of every image Airlock builds (each runtime under images/, and the scanner), checked
 * on the image as built rather than from inside a sandbox, so all of them are covered without one
 * execution per language: the image's config is inspected, and its filesystem is read from an export
 * of a container that is created but never started.
 */
import { pipeline } from 'node:stream/promises';
import Docker from 'dockerode';
import tar from 'tar-stream';
import { IMAGE_LABELS, LABELS, SANDBOX_USER, WORKSPACE } from '../../lib/containers';
import { BUILD_KEY_LABEL } from '../../scripts/images/build-key';
import { loadRuntimes, loadToolImages, type ImageDefinition } from '../../lib/node/runtimes';
import { TEST_CLUSTER } from '../support/test-env';

const docker = new Docker();
const definitions: ImageDefinition[] = [...loadRuntimes().all(), ...loadToolImages().values()];
const SANDBOX_UID = Number(SANDBOX_USER.split(':')[0]);
const SETUID_OR_SETGID = 0o6000;

interface ImageFilesystem {
  /** Everything but directories with a setuid or setgid bit (a setgid directory only sets new files' group). */
  setuidOrSetgid: string[];
  workspace: { uid: number; gid: number } | undefined;
  passwd: string;
}

/** Reads the image's filesystem from `docker export`: no process in it ever runs. */
async function readFilesystem(tag: string): Promise<ImageFilesystem> {
  const container = await docker.createContainer({
    Image: tag,
    // The test run's label: its global clean-up removes the container if this run is interrupted.
    Labels: { [LABELS.cluster]: TEST_CLUSTER },
    NetworkDisabled: true,
    HostConfig: { NetworkMode: 'none' },
  });
  try {
    const found: ImageFilesystem = { setuidOrSetgid: [], workspace: undefined, passwd: '' };
    const extract = tar.extract();
    const scan = async () => {
      for await (const entry of extract) {
        const { name, type, mode, uid, gid } = entry.header;
        const path = `/${name.replace(/^\.?\/+/, '').replace(/\/$/, '')}`;
        if (type !== 'directory' && ((mode ?? 0) & SETUID_OR_SETGID) !== 0) found.setuidOrSetgid.push(path);
        if (path === WORKSPACE && type === 'directory') found.workspace = { uid: uid ?? -1, gid: gid ?? -1 };
        if (path === '/etc/passwd' && type === 'file') {
          for await (const chunk of entry) found.passwd += (chunk as Buffer).toString('utf8');
        } else {
          entry.resume();
        }
      }
    };
    await Promise.all([pipeline(await container.export(), extract), scan()]);
    return found;
  } finally {
    await container.remove({ force: true });
  }
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('the images checked are every definition under images/: each version of ten runtimes, and the scanner', () => {
  expect(definitions.map((d) => d.key).sort()).toEqual([
    'bash-5.2',
    'c-12',
    'c-14',
    'cpp-12',
    'cpp-14',
    'go-1.19',
    'go-1.24',
    'java-17',
    'java-21',
    'javascript-18',
    'javascript-20',
    'python-3.11',
    'python-3.13',
    'ruby-3.1',
    'ruby-3.3',
    'rust-1.63',
    'rust-1.85',
    'scanner',
    'typescript-4.8',
    'typescript-4.9',
  ]);
});

describe.each(definitions.map((d) => [d.tag, d] as const))('image %s', (tag, definition) => {
  const name = definition.manifest.name;
  let config: Docker.ImageInspectInfo['Config'];
  let filesystem: ImageFilesystem;

  beforeAll(async () => {
    config = (await docker.getImage(tag).inspect()).Config;
    filesystem = await readFilesystem(tag);
  });

  test('runs as the unprivileged sandbox user, in the workspace', () => {
    expect(config.User).toBe(SANDBOX_USER);
    expect(config.WorkingDir).toBe(WORKSPACE);
  });

  test('is labelled with the hash of its definition on disk and the runtime version it reported', () => {
    const labels = config.Labels ?? {};
    expect(labels[IMAGE_LABELS.runtime]).toBe(name);
    // A different hash means the image was built from another definition: run the image build.
    expect(labels[IMAGE_LABELS.definitionSha256]).toBe(definition.definitionSha256);
    expect(labels[IMAGE_LABELS.runtimeVersion]).toMatch(
      new RegExp(`^${escapeRegExp(definition.manifest.version)}(\\.|$)`),
    );
    expect(labels[BUILD_KEY_LABEL]).toMatch(/^[0-9a-f]{64}$/);
  });

  test('holds no setuid or setgid file', () => {
    expect(filesystem.setuidOrSetgid).toEqual([]);
  });

  test('has a workspace owned by the sandbox user, who exists and cannot log in', () => {
    expect(filesystem.workspace).toEqual({ uid: SANDBOX_UID, gid: SANDBOX_UID });
    const entry = filesystem.passwd.split('\n').find((line) => line.split(':')[2] === String(SANDBOX_UID));
    expect(entry).toBe(`sandbox:x:${SANDBOX_UID}:${SANDBOX_UID}::${WORKSPACE}:/usr/sbin/nologin`);
  });
});
