import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { imageTagFor } from '../containers';
import { RuntimeFile, ToolImage, type ImageBuild, type RuntimeManifest, type RuntimeSummary } from '../schemas/runtime';
import { DefinitionError, loadYamlFile } from './yaml-file';
import { IMAGES_DIR } from './paths';

export const MANIFEST_FILE = 'runtime.yaml';
export const TOOL_FILE = 'tool.yaml';

export interface ImageDefinition<M extends ImageBuild = ImageBuild> {
  manifest: M;
  dir: string;
  /** What builds and logs call it: the name, and for a runtime its version (`python-3.13`). */
  key: string;
  /** The image it is built as. */
  tag: string;
  /** Hash of every file in the definition's folder (and the version): the image is rebuilt when it changes. */
  definitionSha256: string;
}
/** One version of a runtime: its manifest is the shared part with that version's suite, packages, checks and env. */
export type RuntimeDefinition = ImageDefinition<RuntimeManifest>;

/** The runtimes under images/: each language with its versions, newest first. */
export class RuntimeCatalog {
  private readonly byLanguage = new Map<string, RuntimeDefinition[]>();

  constructor(definitions: Iterable<RuntimeDefinition>) {
    for (const def of definitions) {
      const versions = this.byLanguage.get(def.manifest.name) ?? [];
      this.byLanguage.set(def.manifest.name, [...versions, def]);
    }
    for (const versions of this.byLanguage.values()) {
      versions.sort((x, y) => compareVersions(y.manifest.version, x.manifest.version));
    }
  }

  languages(): string[] {
    return [...this.byLanguage.keys()];
  }

  /** The language's versions, newest first; empty for an unknown language. */
  versions(language: string): RuntimeDefinition[] {
    return this.byLanguage.get(language) ?? [];
  }

  /** The language at that version, or at its newest when none is named. */
  get(language: string, version?: string): RuntimeDefinition | undefined {
    const versions = this.versions(language);
    return version === undefined ? versions[0] : versions.find((v) => v.manifest.version === version);
  }

  /** Every version of every language. */
  all(): RuntimeDefinition[] {
    return [...this.byLanguage.values()].flat();
  }
}

/** Runtimes: folders under images/ with a runtime.yaml, one definition per version. */
export function loadRuntimes(dir = IMAGES_DIR): RuntimeCatalog {
  const definitions: RuntimeDefinition[] = [];
  for (const { folder, file } of definitionFiles(dir, MANIFEST_FILE)) {
    const { value } = loadYamlFile(file, RuntimeFile);
    checkName(file, value.name, folder);
    const folderSha256 = hashFolder(folder);
    const { versions, checks, env, files, modes, ...shared } = value;
    for (const [i, entry] of versions.entries()) {
      if (Object.keys(entry.libraries).length > 0 && !shared.librariesCommand) {
        throw new DefinitionError(file, `versions.${i}.libraries`, 'needs a librariesCommand to check them');
      }
    }
    for (const entry of versions) {
      definitions.push({
        manifest: {
          ...shared,
          version: entry.version,
          debian: entry.debian,
          checks: [...checks, ...entry.checks],
          env: { ...env, ...entry.env },
          files: { ...files, ...entry.files },
          modes: { ...modes, ...entry.modes },
          libraries: entry.libraries,
        },
        dir: folder,
        key: `${value.name}-${entry.version}`,
        tag: imageTagFor(value.name, entry.version),
        definitionSha256: sha256(`${folderSha256}\0${entry.version}`),
      });
    }
  }
  return new RuntimeCatalog(definitions);
}

/** Tool images (the scanner): folders with a tool.yaml. */
export function loadToolImages(dir = IMAGES_DIR): Map<string, ImageDefinition> {
  const definitions = new Map<string, ImageDefinition>();
  for (const { folder, file } of definitionFiles(dir, TOOL_FILE)) {
    const { value } = loadYamlFile(file, ToolImage);
    checkName(file, value.name, folder);
    const tag = imageTagFor(value.name);
    definitions.set(value.name, {
      manifest: value,
      dir: folder,
      key: value.name,
      tag,
      definitionSha256: hashFolder(folder),
    });
  }
  return definitions;
}

/** A language's entry in `GET /v1/runtimes`: what every version shares, and each version. */
export function summarize(versions: RuntimeDefinition[]): RuntimeSummary {
  const { manifest } = versions[0]!;
  return {
    name: manifest.name,
    displayName: manifest.displayName,
    version: manifest.version,
    versions: versions.map((v, i) => ({
      version: v.manifest.version,
      default: i === 0,
      image: v.tag,
      debian: v.manifest.debian.suite,
      libraries: v.manifest.libraries,
    })),
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

/** Numeric, part by part: "3.13" is newer than "3.9". */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function definitionFiles(dir: string, fileName: string): { folder: string; file: string }[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => ({ folder: path.join(dir, e.name), file: path.join(dir, e.name, fileName) }))
    .filter(({ file }) => fs.existsSync(file));
}

function checkName(file: string, name: string, folder: string): void {
  const expected = path.basename(folder);
  if (name !== expected) throw new DefinitionError(file, 'name', `must match its folder ("${expected}")`);
}

function sha256(text: string): string {
  return crypto.createHash('sha256').update(text).digest('hex');
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
