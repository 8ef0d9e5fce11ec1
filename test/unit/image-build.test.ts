/**
 * When `scripts/build-images.ts` rebuilds a runtime image: only when its definition folder (or
 * the recipe) changed since the image on the host was built.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUILD_KEY_LABEL, RECIPE_VERSION, imageBuildKey, needsBuild } from '../../scripts/images/build-key';
import { IMAGES_DIR } from '../../lib/node/paths';
import { loadRuntimes } from '../../lib/node/runtimes';

const RECIPE = RECIPE_VERSION;

/** A copy of the shipped python definition in its own images folder, so the test can edit it. */
function pythonDefinitionCopy(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-images-'));
  fs.cpSync(path.join(IMAGES_DIR, 'python'), path.join(dir, 'python'), { recursive: true });
  return dir;
}

const definitionSha256 = (imagesDir: string) => loadRuntimes(imagesDir).get('python')!.definitionSha256;

/** The labels `build-images` puts on an image it built from this definition. */
const labelsOfImageBuiltFrom = (sha: string, recipeVersion = RECIPE) => ({
  'io.airlock.runtime': 'python',
  'io.airlock.definition-sha256': sha,
  [BUILD_KEY_LABEL]: imageBuildKey(recipeVersion, sha),
});

describe('needsBuild', () => {
  let imagesDir: string;
  beforeEach(() => {
    imagesDir = pythonDefinitionCopy();
  });
  afterEach(() => fs.rmSync(imagesDir, { recursive: true, force: true }));

  test('an unchanged definition is skipped', () => {
    const existingLabels = labelsOfImageBuiltFrom(definitionSha256(imagesDir));
    // Loaded again, as the next `npm start` would: same folder, same hash, nothing to build.
    const sha = definitionSha256(imagesDir);
    expect(needsBuild({ recipeVersion: RECIPE, definitionSha256: sha, existingLabels, force: false })).toBe(false);
  });

  test('a changed definition is rebuilt', () => {
    const existingLabels = labelsOfImageBuiltFrom(definitionSha256(imagesDir));
    const manifest = path.join(imagesDir, 'python', 'runtime.yaml');
    fs.appendFileSync(manifest, '# one more line\n');
    const sha = definitionSha256(imagesDir);
    expect(needsBuild({ recipeVersion: RECIPE, definitionSha256: sha, existingLabels, force: false })).toBe(true);
  });

  test('a file added to the definition folder is a change', () => {
    const existingLabels = labelsOfImageBuiltFrom(definitionSha256(imagesDir));
    fs.writeFileSync(path.join(imagesDir, 'python', 'sitecustomize.py'), '');
    const sha = definitionSha256(imagesDir);
    expect(needsBuild({ recipeVersion: RECIPE, definitionSha256: sha, existingLabels, force: false })).toBe(true);
  });

  test('a new recipe version rebuilds an unchanged definition', () => {
    const sha = definitionSha256(imagesDir);
    const existingLabels = labelsOfImageBuiltFrom(sha, '1');
    expect(needsBuild({ recipeVersion: RECIPE_VERSION, definitionSha256: sha, existingLabels, force: false })).toBe(
      true,
    );
  });

  test('a missing image, or one without the build key, is built; --force rebuilds a current one', () => {
    const sha = definitionSha256(imagesDir);
    const decide = (existingLabels: Record<string, string> | null | undefined, force = false) =>
      needsBuild({ recipeVersion: RECIPE, definitionSha256: sha, existingLabels, force });
    expect(decide(undefined)).toBe(true);
    expect(decide(null)).toBe(true);
    expect(decide({ 'io.airlock.runtime': 'python', 'io.airlock.definition-sha256': sha })).toBe(true);
    expect(decide(labelsOfImageBuiltFrom(sha), true)).toBe(true);
  });
});

describe('imageBuildKey', () => {
  test('depends on both the recipe version and the definition hash', () => {
    const a = 'a'.repeat(64);
    const b = 'b'.repeat(64);
    expect(imageBuildKey('1', a)).toMatch(/^[0-9a-f]{64}$/);
    expect(imageBuildKey('1', a)).toBe(imageBuildKey('1', a));
    expect(imageBuildKey('1', a)).not.toBe(imageBuildKey('1', b));
    expect(imageBuildKey('1', a)).not.toBe(imageBuildKey('2', a));
  });

  test('is the key images already on hosts carry, so upgrading does not rebuild them', () => {
    // sha256("1\0" + 64 zeros), the key the build script has always written for that definition.
    expect(imageBuildKey('1', '0'.repeat(64))).toBe('084e7d85f5e87d3a9509f52afd5b04e3d9318e831f63adae97c5b47ed89475bc');
  });
});
