import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import type { z } from 'zod';
import { RuntimeManifest, ToolImage, type ImageBuild, type RuntimeSummary } from '../schemas/runtime';
import { DefinitionError, loadYamlFile } from './yaml-file';
import { IMAGES_DIR } from './paths';

export const MANIFEST_FILE = 'runtime.yaml';
export const TOOL_FILE = 'tool.yaml';

export interface ImageDefinition<M extends ImageBuild = ImageBuild> {
  manifest: M;
  dir: string;
  /** Hash of every file in the definition's folder: the image is rebuilt when it changes. */
  definitionSha256: string;
}
export type RuntimeDefinition = ImageDefinition<RuntimeManifest>;

/** Runtimes: folders under images/ with a runtime.yaml. */
export function loadRuntimes(dir = IMAGES_DIR): Map<string, RuntimeDefinition> {
  return loadDefinitions(dir, MANIFEST_FILE, RuntimeManifest);
}

/** Tool images (the scanner): folders with a tool.yaml. */
export function loadToolImages(dir = IMAGES_DIR): Map<string, ImageDefinition> {
  return loadDefinitions(dir, TOOL_FILE, ToolImage);
}

function loadDefinitions<S extends z.ZodType<ImageBuild>>(
  dir: string,
  fileName: string,
  schema: S,
): Map<string, ImageDefinition<z.output<S>>> {
  const definitions = new Map<string, ImageDefinition<z.output<S>>>();
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory())) {
    const folder = path.join(dir, entry.name);
    const file = path.join(folder, fileName);
    if (!fs.existsSync(file)) continue;
    const { value } = loadYamlFile(file, schema);
    if (value.name !== entry.name) throw new DefinitionError(file, 'name', `must match its folder ("${entry.name}")`);
    definitions.set(value.name, { manifest: value, dir: folder, definitionSha256: hashFolder(folder) });
  }
  return definitions;
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
