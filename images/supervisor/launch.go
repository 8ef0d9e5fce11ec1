package main

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"syscall"
)

// launch becomes the program. Started as root, it empties its capability bounding set (so the
// program can never regain a capability), becomes the sandbox user (which clears the rest), writes
// the request's files (a tar on fd 3), lowers RLIMIT_CPU, and execs. args: cpuSoft cpuHard filesBytes -- argv...
func launch(args []string) int {
	if len(args) < 4 || args[3] != "--" {
		fmt.Fprintln(os.Stderr, "airlock-supervisor launch: bad arguments")
		return 125
	}
	if err := dropPrivileges(); err != nil {
		fmt.Fprintf(os.Stderr, "airlock: dropping privileges: %v\n", err)
		return 125
	}
	soft, _ := strconv.Atoi(args[0])
	hard, _ := strconv.Atoi(args[1])
	filesBytes, _ := strconv.Atoi(args[2])
	argv := args[4:]
	if err := os.Chdir(workspace); err != nil {
		fmt.Fprintf(os.Stderr, "airlock: %v\n", err)
		return 125
	}
	if filesBytes > 0 {
		files := os.NewFile(3, "files")
		err := extract(files, workspace)
		files.Close()
		if err != nil {
			fmt.Fprintf(os.Stderr, "airlock: writing files: %v\n", err)
			return 125
		}
	}
	if len(argv) == 0 {
		return 0
	}
	if soft > 0 {
		limit := syscall.Rlimit{Cur: uint64(soft), Max: uint64(hard)}
		if err := syscall.Setrlimit(syscall.RLIMIT_CPU, &limit); err != nil {
			fmt.Fprintf(os.Stderr, "airlock: RLIMIT_CPU: %v\n", err)
			return 125
		}
	}
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

func writeFile(target string, r io.Reader, mode os.FileMode) error {
	// O_NOFOLLOW: a name is never written through a link.
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|syscall.O_NOFOLLOW, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
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
