import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { RuntimeManifest, type RuntimeSummary } from './schemas/runtime';
import { DefinitionError, loadYamlFile } from './yaml-file';
import { IMAGES_DIR } from './paths';

export const MANIFEST_FILE = 'runtime.yaml';

export interface RuntimeDefinition {
  manifest: RuntimeManifest;
  dir: string;
  /** Hash of every file in the definition's folder: the image is rebuilt when it changes. */
  definitionSha256: string;
}

export function loadRuntimes(dir = IMAGES_DIR): Map<string, RuntimeDefinition> {
  const runtimes = new Map<string, RuntimeDefinition>();
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory())) {
    const folder = path.join(dir, entry.name);
    const file = path.join(folder, MANIFEST_FILE);
    if (!fs.existsSync(file)) continue;
    const { value } = loadYamlFile(file, RuntimeManifest);
    if (value.name !== entry.name) throw new DefinitionError(file, 'name', `must match its folder ("${entry.name}")`);
    runtimes.set(value.name, { manifest: value, dir: folder, definitionSha256: hashFolder(folder) });
  }
  return runtimes;
}

export function summarize(def: RuntimeDefinition): RuntimeSummary {
  const { manifest } = def;
  return {
    name: manifest.name,
    displayName: manifest.displayName,
    version: manifest.version,
    extensions: manifest.extensions,
    compiled: manifest.compile !== undefined,
    testFramework: manifest.test.report.format,
  };
}

/** The runtime whose manifest claims `fileName`'s extension. */
export function runtimeForFile(runtimes: Iterable<RuntimeDefinition>, fileName: string): RuntimeDefinition | undefined {
  const ext = path.extname(fileName).toLowerCase();
  for (const def of runtimes) if (def.manifest.extensions.includes(ext)) return def;
  return undefined;
}

function hashFolder(folder: string): string {
  const hash = crypto.createHash('sha256');
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else hash.update(path.relative(folder, full)).update('\0').update(fs.readFileSync(full)).update('\0');
    }
  };
  walk(folder);
  return hash.digest('hex');
}
