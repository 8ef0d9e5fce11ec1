import fs from 'node:fs';
import path from 'node:path';

/** The checkout's root, found from this file whether it runs from source or from dist/. */
export const PROJECT_ROOT = findRoot(__dirname);

function findRoot(start: string): string {
  let dir = start;
  while (!fs.existsSync(path.join(dir, 'package.json')) || path.basename(dir) === 'dist') {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${start}`);
    dir = parent;
  }
  return dir;
}

export const STATE_DIR = process.env.AIRLOCK_STATE_DIR ?? path.join(PROJECT_ROOT, '.airlock');
export const POLICIES_DIR = process.env.AIRLOCK_POLICIES_DIR ?? path.join(PROJECT_ROOT, 'policies');
export const IMAGES_DIR = process.env.AIRLOCK_IMAGES_DIR ?? path.join(PROJECT_ROOT, 'images');
