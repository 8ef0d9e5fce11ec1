/**
 * The template layer's hardening, on a layer made here as a setup running as root could leave it:
 * setuid and setgid files, a device node, an overlay whiteout, package caches, files in the
 * workspace, and a workspace replaced with a link.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { hardenLayer } from '../../activities/templates/harden-layer';
import { BuildLog } from '../../activities/templates/build-log';

const asRoot = process.getuid?.() === 0;
let layer: string;

beforeEach(() => {
  layer = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-layer-'));
});
afterEach(() => fs.rmSync(layer, { recursive: true, force: true }));

function put(rel: string, mode = 0o644): string {
  const file = path.join(layer, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, 'x');
  fs.chmodSync(file, mode);
  return file;
}

test('setuid and setgid bits go, the rest of the mode stays, and the log names each file', () => {
  const suid = put('usr/local/bin/rootsh', 0o4755);
  const sgid = put('usr/bin/tool', 0o2711);
  const plain = put('opt/app/run.sh', 0o755);
  const log = new BuildLog(undefined);
  const report = hardenLayer(layer, log);
  expect(report.strippedSetuid.sort()).toEqual(['usr/bin/tool', 'usr/local/bin/rootsh']);
  expect(fs.statSync(suid).mode & 0o7777).toBe(0o755);
  expect(fs.statSync(sgid).mode & 0o7777).toBe(0o711);
  expect(fs.statSync(plain).mode & 0o7777).toBe(0o755);
  expect(log.contents().toString()).toContain('stripped setuid/setgid: /usr/local/bin/rootsh');
});

test('package caches and whatever the setup left in the workspace go', () => {
  put('var/lib/apt/lists/deb.debian.org_dists_trixie_InRelease');
  put('var/cache/apt/archives/x.deb');
  put('workspace/planted.py');
  hardenLayer(layer, new BuildLog(undefined));
  expect(fs.existsSync(path.join(layer, 'var/lib/apt/lists'))).toBe(false);
  expect(fs.existsSync(path.join(layer, 'var/cache/apt'))).toBe(false);
  expect(fs.readdirSync(path.join(layer, 'workspace'))).toEqual([]);
  if (asRoot) expect(fs.statSync(path.join(layer, 'workspace')).uid).toBe(10001);
});

test('a workspace replaced with a link fails the build, and no link is followed', () => {
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-outside-'));
  fs.writeFileSync(path.join(outside, 'keep'), 'x');
  fs.symlinkSync(outside, path.join(layer, 'workspace'));
  expect(() => hardenLayer(layer, new BuildLog(undefined))).toThrow(/replaced \/workspace/);
  expect(fs.readdirSync(outside)).toEqual(['keep']);
  fs.rmSync(outside, { recursive: true, force: true });
});

test('a folder turned into a link is not followed to clean its caches', () => {
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-outside-'));
  fs.mkdirSync(path.join(outside, 'lib/apt/lists'), { recursive: true });
  fs.writeFileSync(path.join(outside, 'lib/apt/lists/host-file'), 'x');
  // As `rm -rf /var; ln -s / /var` would leave it, pointed here at a folder standing for the host's.
  fs.symlinkSync(outside, path.join(layer, 'var'));
  hardenLayer(layer, new BuildLog(undefined));
  expect(fs.readdirSync(path.join(outside, 'lib/apt/lists'))).toEqual(['host-file']);
  fs.rmSync(outside, { recursive: true, force: true });
});

test('a link to a setuid file outside the layer is left alone', () => {
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-outside-'));
  const target = path.join(outside, 'host-binary');
  fs.writeFileSync(target, 'x');
  fs.chmodSync(target, 0o4755);
  fs.mkdirSync(path.join(layer, 'usr/bin'), { recursive: true });
  fs.symlinkSync(target, path.join(layer, 'usr/bin/link'));
  expect(hardenLayer(layer, new BuildLog(undefined)).strippedSetuid).toEqual([]);
  expect(fs.statSync(target).mode & 0o7777).toBe(0o4755);
  fs.rmSync(outside, { recursive: true, force: true });
});

(asRoot ? test : test.skip)('device nodes go; overlay whiteouts (0/0) stay', () => {
  fs.mkdirSync(path.join(layer, 'dev'), { recursive: true });
  fs.mkdirSync(path.join(layer, 'usr/bin'), { recursive: true });
  execFileSync('mknod', [path.join(layer, 'dev/sda'), 'b', '8', '0']);
  execFileSync('mknod', [path.join(layer, 'dev/mem'), 'c', '1', '1']);
  execFileSync('mknod', [path.join(layer, 'usr/bin/removed'), 'c', '0', '0']);
  const report = hardenLayer(layer, new BuildLog(undefined));
  expect(report.removedDevices.sort()).toEqual(['dev/mem', 'dev/sda']);
  expect(fs.lstatSync(path.join(layer, 'usr/bin/removed')).isCharacterDevice()).toBe(true);
});
