// Package probe holds what the Go test programs share: naming an error
// by what it is (its text holds ports, which differ between runs) and
// giving up with one line.
package probe

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
)

// Kind names err by its kind: the same on the kernel and under the library.
func Kind(err error) string {
	var ne net.Error
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, io.EOF):
		return "EOF"
	case errors.Is(err, os.ErrDeadlineExceeded):
		if errors.As(err, &ne) && ne.Timeout() {
			return "timeout"
		}
		return "deadline exceeded without Timeout()"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "ECONNREFUSED"
	case errors.Is(err, syscall.ECONNRESET):
		return "ECONNRESET"
	case errors.Is(err, syscall.EPIPE):
		return "EPIPE"
	case errors.Is(err, syscall.EMSGSIZE):
		return "EMSGSIZE"
	case errors.Is(err, net.ErrClosed):
		return "closed"
	}
	return "other: " + err.Error()
}

// Fatal prints "FAIL what: err" and exits with status 1.
func Fatal(what string, err error) {
	fmt.Printf("FAIL %s: %v\n", what, err)
	os.Exit(1)
}

// PureGoResolver re-executes the program once with GODEBUG=netdns=go
// (Go's own resolver, which makes its DNS queries with raw system calls
// rather than through the C library), unless that is set already.
func PureGoResolver() {
	if strings.Contains(","+os.Getenv("GODEBUG")+",", ",netdns=go,") {
		return
	}
	env := []string{"GODEBUG=netdns=go"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GODEBUG=") {
			env = append(env, kv)
		}
	}
	self, err := os.Executable()
	if err == nil {
		err = syscall.Exec(self, os.Args, env)
	}
	fmt.Printf("FAIL re-executing with GODEBUG=netdns=go: %v\n", err)
	os.Exit(1)
}
