/**
 * Which files `airlock gate` sends and under what names: paths inside the current directory keep
 * their names from it however they are spelled; a path outside it is named from itself.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { collectFiles } from '../../cli/gate-command';

let root: string;
let repo: string;
beforeEach(() => {
  root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-gate-files-')));
  repo = path.join(root, 'repo');
  for (const [file, content] of Object.entries({
    'src/app.py': 'print(1)\n',
    'src/pkg/util.py': 'X = 1\n',
    'tests/test_app.py': 'def test(): pass\n',
    '.git/config': '[core]\n',
    'node_modules/x/index.js': '',
  })) {
    fs.mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
    fs.writeFileSync(path.join(repo, file), content);
  }
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const names = (paths: string[], cwd: string) => collectFiles(paths, cwd).map((f) => f.path);

test('relative paths inside the current directory keep their names from it', () => {
  expect(names(['src', 'tests'], repo)).toEqual(['src/app.py', 'src/pkg/util.py', 'tests/test_app.py']);
  expect(names(['.'], repo)).toEqual(['src/app.py', 'src/pkg/util.py', 'tests/test_app.py']);
});

test('an absolute path inside the current directory is named as its relative spelling is', () => {
  // A CI job passing $GITHUB_WORKSPACE/src from $GITHUB_WORKSPACE.
  expect(names([path.join(repo, 'src'), path.join(repo, 'tests')], repo)).toEqual(names(['src', 'tests'], repo));
  expect(names([repo], repo)).toEqual(names(['.'], repo));
});

test('a directory outside the current directory is named from itself', () => {
  const elsewhere = path.join(root, 'elsewhere');
  fs.mkdirSync(elsewhere);
  expect(names([repo], elsewhere)).toEqual(['src/app.py', 'src/pkg/util.py', 'tests/test_app.py']);
  expect(names([path.join(repo, 'src')], elsewhere)).toEqual(['app.py', 'pkg/util.py']);
  expect(names(['../repo/tests'], elsewhere)).toEqual(['test_app.py']);
});

test('a file outside the current directory is named by its own name', () => {
  const elsewhere = path.join(root, 'elsewhere');
  fs.mkdirSync(elsewhere);
  const [file] = collectFiles([path.join(repo, 'src', 'app.py')], elsewhere);
  expect(file).toMatchObject({ path: 'app.py', source: path.join(repo, 'src', 'app.py') });
  expect(file!.content.toString()).toBe('print(1)\n');
});

test('two files that would get the same name are refused; the same file twice is sent once', () => {
  const other = path.join(root, 'other');
  fs.mkdirSync(path.join(other, 'src'), { recursive: true });
  fs.writeFileSync(path.join(other, 'src', 'app.py'), 'print(2)\n');
  expect(() => collectFiles([path.join(repo, 'src'), path.join(other, 'src')], root + '/nowhere')).toThrow(
    /would both be named "app\.py"; pass their common folder/,
  );
  expect(names(['src', 'src/app.py', path.join(repo, 'src')], repo)).toEqual(['src/app.py', 'src/pkg/util.py']);
});
