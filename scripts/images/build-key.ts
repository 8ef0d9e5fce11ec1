/**
 * Whether a runtime image needs building. An image carries, as a label, the key it was built
 * under: its definition folder's hash combined with the build recipe's version. An image whose
 * label matches the key of the definition on disk is current; anything else is (re)built.
 */
import crypto from 'node:crypto';

/**
 * The build recipe's version (scripts/images/): bump it when the recipe changes what it makes of a
 * definition, so every image is rebuilt. 2: per-image package lists, the scanner's private npm prefix.
 * 3: /home/user, E2B's home, links to the workspace.
 */
export const RECIPE_VERSION = '3';

/** The label an image's build key is stored under. */
export const BUILD_KEY_LABEL = 'io.airlock.build-key';

/** The key an image built from this definition under this recipe version carries. */
export function imageBuildKey(recipeVersion: string, definitionSha256: string): string {
  return crypto.createHash('sha256').update(`${recipeVersion}\0${definitionSha256}`).digest('hex');
}

export interface BuildDecisionInput {
  recipeVersion: string;
  definitionSha256: string;
  /** The existing image's labels; undefined when there is no image under the tag. */
  existingLabels: Record<string, string> | null | undefined;
  /** Rebuild even an image that is current. */
  force: boolean;
}

/** True when the image is missing, unlabelled, built from another definition or recipe, or the build is forced. */
export function needsBuild({ recipeVersion, definitionSha256, existingLabels, force }: BuildDecisionInput): boolean {
  if (force) return true;
  return existingLabels?.[BUILD_KEY_LABEL] !== imageBuildKey(recipeVersion, definitionSha256);
}
