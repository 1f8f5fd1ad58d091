// trap_status: (a dynamically linked Go program, as is any that uses net) prints this process's seccomp mode as /proc/self/status
// gives it ("Seccomp: 2" under a filter), before anything else.  Used by
// tests/integration/trap_lazy.sh: under the library a Go program has the
// trap from its start (preload/trap.c recognises Go binaries).
package main

import (
	"fmt"
	"net" // with cgo (Debian's golang-go): dynamically linked, as Go network programs are
	"os"
	"strings"
)

func main() {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		fmt.Println("cannot read /proc/self/status:", err)
		os.Exit(1)
	}
	_ = net.IPv4len
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "Seccomp:") {
			fmt.Println("start", strings.TrimSpace(strings.TrimPrefix(l, "Seccomp:")))
		}
	}
}
