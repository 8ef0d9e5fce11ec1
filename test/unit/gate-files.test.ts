/**
 * Which files `airlock gate` sends and under what names: paths inside the current directory keep
 * their names from it however they are spelled; a path outside it is named from itself.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { collectFiles } from '../../cli/gate-files';

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

describe('links and special files, as a change that wants to leak would commit them', () => {
  const refused = (paths: string[], cwd: string) => {
    try {
      collectFiles(paths, cwd);
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error('the files were collected');
  };

  test('a link to /proc/self/environ is refused, naming the link', () => {
    fs.symlinkSync('/proc/self/environ', path.join(repo, 'src', 'leak.txt'));
    expect(refused(['.'], repo)).toBe(
      '"src/leak.txt" is a link to "/proc/self/environ", outside .: refused, so nothing outside the tree is sent',
    );
  });

  test('a link to a key under the home directory is refused', () => {
    const home = path.join(root, 'home');
    fs.mkdirSync(path.join(home, '.ssh'), { recursive: true });
    fs.writeFileSync(path.join(home, '.ssh', 'id_ed25519'), 'PRIVATE KEY');
    fs.symlinkSync(path.join(home, '.ssh'), path.join(repo, 'ssh'));
    fs.symlinkSync(path.join(home, '.ssh', 'id_ed25519'), path.join(repo, 'tests', 'fixture.key'));
    expect(refused(['.'], repo)).toMatch(/^"ssh" is a link to ".*\/home\/\.ssh", outside \.: refused/);
    fs.rmSync(path.join(repo, 'ssh'));
    expect(refused(['tests'], repo)).toMatch(/^"tests\/fixture\.key" is a link to .*, outside tests: refused/);
  });

  test('a link to a directory outside the tree is refused, also when the tree is a subfolder', () => {
    fs.symlinkSync('../src', path.join(repo, 'tests', 'src-link'));
    // Inside the repository, but outside the `tests` tree it was given.
    expect(refused(['tests'], repo)).toMatch(/^"tests\/src-link" is a link to "\.\.\/src", outside tests: refused/);
    // Given the whole repository, the same link stays in the tree: its files are sent under its name.
    expect(names(['.'], repo)).toEqual([
      'src/app.py',
      'src/pkg/util.py',
      'tests/src-link/app.py',
      'tests/src-link/pkg/util.py',
      'tests/test_app.py',
    ]);
  });

  test('a link inside the tree is sent as a copy under its own name; a loop of links ends', () => {
    fs.symlinkSync('app.py', path.join(repo, 'src', 'main.py'));
    fs.symlinkSync('..', path.join(repo, 'src', 'pkg', 'up'));
    const files = collectFiles(['src'], repo);
    expect(files.map((f) => f.path)).toEqual(['src/app.py', 'src/main.py', 'src/pkg/util.py']);
    expect(files.find((f) => f.path === 'src/main.py')!.content.toString()).toBe('print(1)\n');
  });

  test('a dangling link is refused; sockets and FIFOs are left out, never opened', () => {
    fs.symlinkSync('nowhere.py', path.join(repo, 'src', 'gone.py'));
    expect(refused(['src'], repo)).toMatch(/"src\/gone\.py" \(under src\) is a link to nothing/);
    fs.rmSync(path.join(repo, 'src', 'gone.py'));
    execFileSync('mkfifo', [path.join(repo, 'src', 'pipe')]);
    // Opening a FIFO for reading would wait for a writer for ever.
    expect(names(['src'], repo)).toEqual(['src/app.py', 'src/pkg/util.py']);
  });
});
