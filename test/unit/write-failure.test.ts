/**
 * Why a sandbox file write failed, read from what the tools said: the messages below are the ones
 * GNU tar, mkdir, mv and mktemp print in the runtime images.
 */
import { ErrorType } from '../../lib/errors';
import { WRITE_EXIT, launchWriteFailure, writeFailure } from '../../activities/host/write-failure';

const failed = (stderr: string, exitCode: number | null = 1, signal: string | null = null) => ({
  exitCode,
  signal,
  stderr,
});

test.each([
  ['tar: a.bin: Cannot write: No space left on device', ErrorType.WorkspaceFull],
  [
    'mktemp: failed to create directory via template ‘.airlock/tmp/write.XXXXXX’: No space left on device',
    ErrorType.WorkspaceFull,
  ],
  ['tar: a.bin: Cannot write: File too large', ErrorType.FileTooLarge],
  [
    "mv: inter-device move failed: 's' to 'usrlink/x'; unable to remove target: Read-only file system",
    ErrorType.ReadOnlyPath,
  ],
  ["mv: cannot move '.airlock/tmp/s' to 'ro/x': Permission denied", ErrorType.PermissionDenied],
  ["mv: cannot stat 'loop/x': Too many levels of symbolic links", ErrorType.SymlinkLoop],
  ['mkdir: cannot create directory ‘afile’: Not a directory', ErrorType.NotADirectory],
  ["mv: cannot overwrite directory 'adir' with non-directory", ErrorType.IsADirectory],
])('%s → %s', (stderr, type) => {
  expect(writeFailure(failed(stderr), 'x').type).toBe(type);
});

test('a writer killed by SIGXFSZ (exit 153, no message) is over the file size limit', () => {
  expect(writeFailure(failed('', 153), 'big.bin')).toEqual({
    type: ErrorType.FileTooLarge,
    message: "big.bin is over the sandbox's file size limit",
  });
  expect(writeFailure(failed('', null, 'SIGXFSZ'), 'big.bin').type).toBe(ErrorType.FileTooLarge);
});

test("the write script's own checks have their own exit codes", () => {
  expect(writeFailure(failed('', WRITE_EXIT.parentNotADirectory), 'f/x').type).toBe(ErrorType.NotADirectory);
  expect(writeFailure(failed('', WRITE_EXIT.targetIsADirectory), 'd').type).toBe(ErrorType.IsADirectory);
});

test('anything else is the host’s failure, with what the tool said', () => {
  const failure = writeFailure(failed('tar: something unheard of\n', 2), 'a.txt');
  expect(failure.type).toBe(ErrorType.Internal);
  expect(failure.message).toBe('writing a.txt failed (exit 2): tar: something unheard of');
});

// The supervisor's launcher reports in Go's words: strerror's text in lower case, after the file's name.
test.each([
  ['writing files: main.py: no space left on device', ErrorType.WorkspaceFull],
  ['writing files: main.py: file too large', ErrorType.FileTooLarge],
  ['writing files: main.py: file exists', ErrorType.IsADirectory],
  ['writing files: open /workspace/d/main.py: not a directory', ErrorType.NotADirectory],
  ['writing files: main.py: permission denied', ErrorType.PermissionDenied],
])('launcher: %s → %s', (setup, type) => {
  expect(launchWriteFailure(setup, 'main.py')).toMatchObject({ type, message: expect.stringMatching(/^main\.py /) });
});

test('a launcher failure of no known cause keeps its text', () => {
  expect(launchWriteFailure('writing files: archive/tar: invalid tar header', 'main.py')).toEqual({
    type: ErrorType.Internal,
    message: 'writing main.py failed: writing files: archive/tar: invalid tar header',
  });
});
