package main

import (
	"os"
	"strconv"
	"syscall"
	"time"
)

// sweep kills every process of the sandbox but the init and the supervisor, and waits until they
// are gone; it returns how many there were. kill(-1) reaches every process the caller may signal in
// one pass that no fork can outrun, and CAP_KILL lets the supervisor signal them all.
func sweep() int {
	others := processes()
	if len(others) == 0 {
		return 0
	}
	_ = syscall.Kill(-1, syscall.SIGKILL)
	deadline := time.Now().Add(2 * time.Second)
	for len(processes()) > 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	return len(others)
}

// processes lists the live processes of the container other than its init, the supervisor and the
// supervisor's own children that have already exited (zombies are gone as far as anyone can tell).
func processes() []int {
	dir, err := os.Open("/proc")
	if err != nil {
		return nil
	}
	defer dir.Close()
	names, _ := dir.Readdirnames(-1)
	self := os.Getpid()
	var pids []int
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil || pid == 1 || pid == self {
			continue
		}
		stat, err := os.ReadFile("/proc/" + name + "/stat")
		if err != nil || zombie(stat) {
			continue
		}
		pids = append(pids, pid)
	}
	return pids
}

func zombie(stat []byte) bool {
	// The state follows the command name, which is in parentheses and may hold anything.
	for i := len(stat) - 1; i >= 0; i-- {
		if stat[i] == ')' {
			return i+2 < len(stat) && (stat[i+2] == 'Z' || stat[i+2] == 'X')
		}
	}
	return false
}
