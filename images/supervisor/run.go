package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// The sandbox user. The program runs as it; the supervisor never does.
const (
	sandboxUID = 10001
	sandboxGID = 10001
	workspace  = "/workspace"
	chunkBytes = 32 << 10
)

type runRequest struct {
	// The same key again (from a host worker that restarted) follows the run instead of starting it.
	Key         string            `json:"key"`
	Argv        []string          `json:"argv"`
	Env         map[string]string `json:"env"`
	Stdin       []byte            `json:"stdin"`
	TimeoutMs   int64             `json:"timeoutMs"`
	OutputBytes int64             `json:"outputBytes"`
	// RLIMIT_CPU for this run, lowered from the container's (0: unchanged).
	CPUSoft int `json:"cpuSoft"`
	CPUHard int `json:"cpuHard"`
}

type runAnswer struct {
	// 128+n for a signal, as a shell reports it; null if the program never started.
	ExitCode    *int   `json:"exitCode"`
	WallMs      int64  `json:"wallMs"`
	Limit       string `json:"limit,omitempty"`
	Killed      bool   `json:"killed"`
	Leftover    int    `json:"leftover"`
	StdoutBytes int64  `json:"stdoutBytes"`
	StderrBytes int64  `json:"stderrBytes"`
	Error       string `json:"error,omitempty"`
	// The launcher failed before the program started (writing the files, say): told on a pipe the
	// program never holds, so it is never something the program printed.
	Setup string `json:"setup,omitempty"`
	// The key was run before but is no longer kept: it is not run again.
	Evicted bool `json:"evicted,omitempty"`
}

type run struct {
	mu      sync.Mutex
	limit   string
	stopped bool
}

// stop ends the run: every process of the sandbox user is killed. The first limit named wins.
func (r *run) stop(limit string) {
	r.mu.Lock()
	if r.limit == "" {
		r.limit = limit
	}
	r.stopped = true
	r.mu.Unlock()
	sweep()
}

func (r *run) state() (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.limit, r.stopped
}

func (r *run) execute(w *writer, req runRequest, files []byte, out sink) runAnswer {
	// A run starts alone: anything an earlier stage left is gone before it.
	sweep()
	args := []string{"launch", strconv.Itoa(req.CPUSoft), strconv.Itoa(req.CPUHard), strconv.Itoa(len(files)), "--"}
	cmd := exec.Command("/proc/self/exe", append(args, req.Argv...)...)
	cmd.Env = os.Environ()
	for k, v := range req.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	// The launcher drops to the sandbox user itself, after emptying the bounding set.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stdin = bytes.NewReader(req.Stdin)
	stdout, stdoutW, err := os.Pipe()
	if err != nil {
		return runAnswer{Error: "pipe: " + err.Error()}
	}
	stderr, stderrW, err := os.Pipe()
	if err != nil {
		return runAnswer{Error: "pipe: " + err.Error()}
	}
	cmd.Stdout, cmd.Stderr = stdoutW, stderrW
	statusR, statusW, err := os.Pipe()
	if err != nil {
		return runAnswer{Error: "pipe: " + err.Error()}
	}
	defer statusR.Close()
	cmd.ExtraFiles = []*os.File{statusW}
	var filesW *os.File
	if len(files) > 0 {
		filesR, fw, err := os.Pipe()
		if err != nil {
			statusW.Close()
			return runAnswer{Error: "pipe: " + err.Error()}
		}
		cmd.ExtraFiles = append(cmd.ExtraFiles, filesR)
		filesW = fw
		defer filesR.Close()
	}
	started := time.Now()
	if err := cmd.Start(); err != nil {
		stdout.Close()
		stderr.Close()
		stdoutW.Close()
		stderrW.Close()
		statusW.Close()
		if filesW != nil {
			filesW.Close()
		}
		// Typically EAGAIN: the sandbox's pids are exhausted by an earlier stage's leftovers.
		return runAnswer{Error: "starting the program: " + err.Error()}
	}
	stdoutW.Close()
	stderrW.Close()
	statusW.Close()
	setup := make(chan string, 1)
	go func() {
		text, _ := io.ReadAll(io.LimitReader(statusR, 4096))
		setup <- string(text)
	}()
	if filesW != nil {
		go func() {
			_, _ = filesW.Write(files)
			filesW.Close()
		}()
	}
	var timer *time.Timer
	if req.TimeoutMs > 0 {
		timer = time.AfterFunc(time.Duration(req.TimeoutMs)*time.Millisecond, func() { r.stop("wall") })
	}
	budget := &outputBudget{limit: req.OutputBytes, onLimit: func() { go r.stop("output") }}
	var copying sync.WaitGroup
	var stdoutBytes, stderrBytes int64
	copying.Add(2)
	go func() { defer copying.Done(); stdoutBytes = forward(w, out, kindStdout, stdout, budget) }()
	go func() { defer copying.Done(); stderrBytes = forward(w, out, kindStderr, stderr, budget) }()

	waitErr := cmd.Wait()
	wallMs := time.Since(started).Milliseconds()
	if timer != nil {
		timer.Stop()
	}
	// The program is gone; whatever it left running is killed before output ends and the answer is given.
	leftover := sweep()
	copying.Wait()
	stdout.Close()
	stderr.Close()

	limit, stopped := r.state()
	answer := runAnswer{WallMs: wallMs, Limit: limit, Killed: stopped, Leftover: leftover,
		StdoutBytes: stdoutBytes, StderrBytes: stderrBytes}
	code := exitCode(cmd.ProcessState, waitErr)
	answer.ExitCode = &code
	answer.Setup = <-setup
	return answer
}

func exitCode(state *os.ProcessState, err error) int {
	if state == nil {
		return -1
	}
	if ws, ok := state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return state.ExitCode()
}

// outputBudget is the run's output cap, shared by stdout and stderr.
type outputBudget struct {
	mu      sync.Mutex
	limit   int64
	kept    int64
	hit     bool
	onLimit func()
}

// take returns how many of n new bytes may still be sent.
func (b *outputBudget) take(n int64) int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.limit <= 0 {
		return n
	}
	room := b.limit - b.kept
	if room < 0 {
		room = 0
	}
	keep := n
	if keep > room {
		keep = room
	}
	b.kept += keep
	if keep < n && !b.hit {
		b.hit = true
		b.onLimit()
	}
	return keep
}

// forward sends what the program writes as frames, up to the budget, and counts all of it.
func forward(w *writer, out sink, kind byte, r io.Reader, budget *outputBudget) int64 {
	buf := make([]byte, chunkBytes)
	var total int64
	for {
		n, err := r.Read(buf)
		if n > 0 {
			total += int64(n)
			if keep := budget.take(int64(n)); keep > 0 {
				out.emit(w, kind, append([]byte(nil), buf[:keep]...))
			}
		}
		if err != nil {
			return total
		}
	}
}
