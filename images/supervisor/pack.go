package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

type packRequest struct {
	LimitBytes int64 `json:"limitBytes"`
}

type packAnswer struct {
	Bytes     int64  `json:"bytes"`
	Truncated bool   `json:"truncated"`
	ExitCode  int    `json:"exitCode"`
	Error     string `json:"error,omitempty"`
}

// packWorkspace streams the workspace as a tar, read by a helper running as the sandbox user (the
// workspace is the sandbox user's alone), after every process of the program is gone.
func packWorkspace(w *writer, id uint32, req packRequest) packAnswer {
	sweep()
	cmd := exec.Command("/proc/self/exe", "pack")
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: &syscall.Credential{Uid: sandboxUID, Gid: sandboxGID, Groups: []uint32{}},
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return packAnswer{Error: err.Error(), ExitCode: -1}
	}
	if err := cmd.Start(); err != nil {
		return packAnswer{Error: "starting the packer: " + err.Error(), ExitCode: -1}
	}
	var sent int64
	truncated := false
	buf := make([]byte, chunkBytes)
	for {
		n, err := out.Read(buf)
		if n > 0 {
			keep := int64(n)
			if req.LimitBytes > 0 && sent+keep > req.LimitBytes {
				keep = req.LimitBytes - sent
				truncated = true
			}
			if keep > 0 {
				_ = w.send(kindTar, id, append([]byte(nil), buf[:keep]...))
				sent += keep
			}
			if truncated {
				_ = cmd.Process.Kill()
				_, _ = io.Copy(io.Discard, out)
				break
			}
		}
		if err != nil {
			break
		}
	}
	_ = cmd.Wait()
	answer := packAnswer{Bytes: sent, Truncated: truncated, ExitCode: exitCode(cmd.ProcessState, nil)}
	if stderr.Len() > 0 {
		answer.Error = stderr.String()
	}
	return answer
}

// pack writes the workspace as a tar on stdout, never following a link. Of .airlock, Airlock's own
// build and report folder, only figures/ goes in: the charts a runtime saved for the program.
func pack(_ []string) int {
	archive := tar.NewWriter(os.Stdout)
	err := filepath.WalkDir(workspace, func(file string, entry fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(workspace, file)
		if skip, err := airlockEntry(filepath.ToSlash(rel), entry); skip || err != nil {
			return err
		}
		info, err := entry.Info()
		if err != nil {
			return err
		}
		link := ""
		if info.Mode()&fs.ModeSymlink != 0 {
			link, _ = os.Readlink(file)
		}
		header, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return nil // sockets and the like: nothing to hash
		}
		header.Name = "./" + filepath.ToSlash(rel)
		if rel == "." {
			header.Name = "./"
		} else if entry.IsDir() {
			header.Name += "/"
		}
		header.Uname, header.Gname = "", ""
		if err := archive.WriteHeader(header); err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		f, err := os.OpenFile(file, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.CopyN(archive, f, info.Size())
		return err
	})
	if err == nil {
		err = archive.Close()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "airlock: packing the workspace: %v\n", err)
		return 1
	}
	return 0
}

// airlockEntry says whether a path under .airlock stays out of the archive, and stops the walk
// going into a folder of it other than figures/.
func airlockEntry(rel string, entry fs.DirEntry) (bool, error) {
	if rel == ".airlock" {
		return true, nil // its own header is left out; the walk still goes into a folder
	}
	if !strings.HasPrefix(rel, ".airlock/") || rel == figuresDir || strings.HasPrefix(rel, figuresDir+"/") {
		return false, nil
	}
	if entry.IsDir() {
		return true, filepath.SkipDir
	}
	return true, nil
}

const figuresDir = ".airlock/figures"
