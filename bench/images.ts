import { loadRuntimes } from '../lib/node/runtimes';

/** The image a plain `python` request runs (its newest version): the baseline's image too, so both run the same. */
export const PYTHON_IMAGE = loadRuntimes().get('python')!.tag;
