package main

import (
	"runtime"
	"sync"
)

// spareThreads is how many OS threads the supervisor starts beyond what it needs at rest (about
// six: the running thread, sysmon, and one per blocking read or wait). Each costs one of the
// sandbox's pids.
const spareThreads = 8

// reserveThreads has the runtime start n OS threads now and keep them idle. A fork bomb takes every
// pid the sandbox has; a runtime that needed a new thread then (a goroutine entering a blocking
// syscall is enough) would fail to make one and die with "newosproc", and the container with it.
// Idle threads are reused before new ones are made, and the runtime never ends them.
func reserveThreads(n int) {
	var parked, release, done sync.WaitGroup
	parked.Add(n)
	release.Add(1)
	done.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			// Locked and parked, each goroutine holds its thread, so the next needs a new one.
			runtime.LockOSThread()
			parked.Done()
			release.Wait()
			// Unlocked before it ends, or its thread would end with it.
			runtime.UnlockOSThread()
			done.Done()
		}()
	}
	parked.Wait()
	release.Done()
	done.Wait()
}
