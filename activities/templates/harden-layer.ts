/**
 * Hardening of a template's layer, done from the host on the stopped install container's own
 * overlay layer: the setup ran as root in there and could have replaced any tool that would
 * harden from inside. Walks without following a link: no setuid or setgid file, no device node,
 * no package caches, and the workspace still a directory of the sandbox user.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { SANDBOX_USER, WORKSPACE } from '../../lib/containers';
import type { BuildLog } from './build-log';

const JUNK = ['var/lib/apt/lists', 'var/cache/apt', 'var/cache/debconf', 'var/log', 'usr/share/doc', 'usr/share/man'];
const SANDBOX_UID = Number(SANDBOX_USER.split(':')[0]);

export interface HardenReport {
  strippedSetuid: string[];
  removedDevices: string[];
}

/** The container's writable layer on this host (overlay2). */
export async function containerLayer(container: Docker.Container): Promise<string> {
  const info = await container.inspect();
  const upper = (info.GraphDriver.Data as Record<string, string> | null)?.UpperDir;
  if (info.GraphDriver.Name !== 'overlay2' || !upper) {
    throw new Error(`template builds need the overlay2 storage driver (this engine has ${info.GraphDriver.Name})`);
  }
  return upper;
}

export function hardenLayer(layer: string, log: BuildLog): HardenReport {
  const report: HardenReport = { strippedSetuid: [], removedDevices: [] };
  // Only through real directories: a setup can turn /var into a link to `/`, which on this host is the host's.
  for (const junk of JUNK)
    if (throughDirectories(layer, junk)) fs.rmSync(path.join(layer, junk), { recursive: true, force: true });
  checkWorkspace(layer);
  walk(layer, '', report);
  for (const file of report.strippedSetuid) log.write(`stripped setuid/setgid: /${file}\n`);
  for (const file of report.removedDevices) log.write(`removed device node: /${file}\n`);
  return report;
}

function walk(layer: string, rel: string, report: HardenReport): void {
  for (const entry of fs.readdirSync(path.join(layer, rel), { withFileTypes: true })) {
    const relPath = path.join(rel, entry.name);
    const full = path.join(layer, relPath);
    const stat = fs.lstatSync(full);
    if (stat.isDirectory()) {
      if ((stat.mode & 0o6000) !== 0) fs.chmodSync(full, stat.mode & 0o1777);
      walk(layer, relPath, report);
    } else if (stat.isFile()) {
      if ((stat.mode & 0o6000) !== 0) {
        fs.chmodSync(full, stat.mode & 0o1777);
        report.strippedSetuid.push(relPath);
      }
    } else if (stat.isCharacterDevice() && stat.rdev === 0) {
      // An overlay whiteout: the setup deleted a file of the runtime's. It stays deleted.
    } else if (stat.isCharacterDevice() || stat.isBlockDevice()) {
      fs.rmSync(full);
      report.removedDevices.push(relPath);
    }
  }
}

/** Whether every folder on the way to `rel` inside the layer is a real directory, not a link. */
function throughDirectories(layer: string, rel: string): boolean {
  const parts = rel.split('/');
  for (let i = 1; i < parts.length; i++) {
    try {
      if (!fs.lstatSync(path.join(layer, ...parts.slice(0, i))).isDirectory()) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** The workspace is where the sandbox's files go: it must stay a directory the sandbox user owns, and empty. */
function checkWorkspace(layer: string): void {
  const workspace = path.join(layer, WORKSPACE.slice(1));
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(workspace);
  } catch {
    return; // untouched: the runtime's own
  }
  if (!stat.isDirectory()) throw new Error(`the setup replaced ${WORKSPACE} with something that is not a directory`);
  for (const entry of fs.readdirSync(workspace))
    fs.rmSync(path.join(workspace, entry), { recursive: true, force: true });
  fs.chownSync(workspace, SANDBOX_UID, SANDBOX_UID);
  fs.chmodSync(workspace, 0o755);
}
