package main

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path"
	"path/filepath"
	"strconv"
	"syscall"
)

// The launcher's files: its status pipe, closed on exec, and the request's files as a tar.
const (
	statusFD = 3
	filesFD  = 4
)

// launch becomes the program. Started as root, it empties its capability bounding set (so the
// program can never regain a capability), becomes the sandbox user (which clears the rest), writes
// the request's files (a tar on fd 4), lowers RLIMIT_CPU, and execs. A failure before the exec is
// told on the status pipe (fd 3), which the exec closes: the program can never write to it, so a
// setup failure cannot be forged by what the program prints. args: cpuSoft cpuHard filesBytes -- argv...
func launch(args []string) int {
	syscall.CloseOnExec(statusFD)
	status := os.NewFile(statusFD, "status")
	fail := func(format string, a ...any) int {
		_, _ = fmt.Fprintf(status, format, a...)
		return 125
	}
	if len(args) < 4 || args[3] != "--" {
		return fail("bad launcher arguments")
	}
	if err := dropPrivileges(); err != nil {
		return fail("dropping privileges: %v", err)
	}
	soft, _ := strconv.Atoi(args[0])
	hard, _ := strconv.Atoi(args[1])
	filesBytes, _ := strconv.Atoi(args[2])
	argv := args[4:]
	if err := os.Chdir(workspace); err != nil {
		return fail("%v", err)
	}
	if filesBytes > 0 {
		files := os.NewFile(filesFD, "files")
		// A write past RLIMIT_FSIZE fails with EFBIG rather than killing the launcher unheard. The
		// handler is back before the exec, so the program gets the signal's default action.
		signal.Ignore(syscall.SIGXFSZ)
		err := extract(files, workspace)
		signal.Reset(syscall.SIGXFSZ)
		files.Close()
		if err != nil {
			return fail("writing files: %v", err)
		}
	}
	if len(argv) == 0 {
		return 0
	}
	if soft > 0 {
		limit := syscall.Rlimit{Cur: uint64(soft), Max: uint64(hard)}
		if err := syscall.Setrlimit(syscall.RLIMIT_CPU, &limit); err != nil {
			return fail("RLIMIT_CPU: %v", err)
		}
	}
	// A program that cannot be found or run answers as a shell would: 127 or 126, on its stderr.
	program, err := exec.LookPath(argv[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "airlock: %s: %v\n", argv[0], err)
		if errors.Is(err, os.ErrPermission) {
			return 126
		}
		return 127
	}
	err = syscall.Exec(program, argv, os.Environ())
	fmt.Fprintf(os.Stderr, "airlock: %s: %v\n", argv[0], err)
	if errors.Is(err, syscall.EACCES) {
		return 126
	}
	return 127
}

// extract writes a tar's regular files and directories under root. Names are the host's, but are
// still kept inside root: an entry that would leave it is refused.
func extract(r io.Reader, root string) error {
	archive := tar.NewReader(r)
	for {
		header, err := archive.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		// Rooted before it is cleaned, so no name can climb out of root.
		name := path.Clean("/" + header.Name)
		if name == "/" {
			continue
		}
		target := filepath.Join(root, name)
		switch header.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			if err := writeFile(target, archive, os.FileMode(header.Mode&0o777)); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s: only files and directories are written", header.Name)
		}
	}
}

// writeFile writes a file whole or not at all: into a temporary file beside it, then renamed onto
// its name. The rename replaces a link rather than writing through it, and a write that fails
// (a full workspace, the file size limit) leaves the old file as it was.
func writeFile(target string, r io.Reader, mode os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(target), ".airlock-write-*")
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	if err == nil {
		err = f.Chmod(mode)
	}
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		err = os.Rename(f.Name(), target)
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("%s: %w", filepath.Base(target), unwrapPath(err))
	}
	return nil
}

// unwrapPath drops the temporary file's name from an error, leaving the cause.
func unwrapPath(err error) error {
	var pathErr *os.PathError
	var linkErr *os.LinkError
	switch {
	case errors.As(err, &pathErr):
		return pathErr.Err
	case errors.As(err, &linkErr):
		return linkErr.Err
	}
	return err
}

const prCapbsetDrop = 24

// dropPrivileges empties the bounding set, then sets every uid and gid to the sandbox user's.
func dropPrivileges() error {
	for c := 0; c <= 63; c++ {
		if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prCapbsetDrop, uintptr(c), 0); errno != 0 {
			if errno == syscall.EINVAL {
				break // past the last capability this kernel knows
			}
			return fmt.Errorf("PR_CAPBSET_DROP %d: %w", c, errno)
		}
	}
	if err := syscall.Setgroups([]int{}); err != nil {
		return err
	}
	if err := syscall.Setresgid(sandboxGID, sandboxGID, sandboxGID); err != nil {
		return err
	}
	return syscall.Setresuid(sandboxUID, sandboxUID, sandboxUID)
}
