// airlock-supervisor is what every Airlock sandbox container runs. It holds the container's only
// channel to its host worker (the attach stream: its stdin and stdout), and does a stage's container
// work on one message: write the files, run the program as the sandbox user under its limits, stream
// its output back in frames, kill whatever it left behind, and answer. It runs as root with only
// CAP_SETUID, CAP_SETGID, CAP_SETPCAP and CAP_KILL, so the program (uid 10001, no capabilities, an
// empty bounding set) can neither signal, ptrace nor read it. Figures that must be trusted (cgroup
// memory and CPU) the host reads itself.
package main

import (
	"fmt"
	"os"
	"runtime/debug"
)

const version = 1

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "launch":
			os.Exit(launch(os.Args[2:]))
		case "pack":
			os.Exit(pack(os.Args[2:]))
		case "version":
			fmt.Println(version)
			return
		}
	}
	// A small heap: the supervisor is charged to the sandbox's memory limit.
	debug.SetGCPercent(50)
	reserveThreads(spareThreads)
	if err := serve(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "airlock-supervisor: %v\n", err)
		os.Exit(1)
	}
}
