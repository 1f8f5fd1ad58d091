// lookup: a differential test (tests/test_diff.c) of Go's own resolver
// (GODEBUG=netdns=go: the program re-executes itself with it when it is
// not set, since newer Go versions read GODEBUG once at start; and a
// Resolver with PreferGo).  `localhost` resolves from /etc/hosts; an unknown name
// fails, and fails fast: under the library the network answers "no such
// name" at once, on the kernel the real resolver answers or the isolated
// namespace has no route.  What is printed is the same either way: the
// addresses found, sorted, whether the lookup failed and whether it took
// under 3 seconds.
package main

import (
	"context"
	"fmt"
	"libsimnet.test/go/internal/probe"
	"net"
	"sort"
	"strings"
	"time"
)

func show(what string, addrs []string, err error, took time.Duration) {
	sort.Strings(addrs)
	if err != nil {
		fmt.Printf("%s: failed, under 3s: %v\n", what, took < 3*time.Second)
		return
	}
	fmt.Printf("%s: %s\n", what, strings.Join(addrs, " "))
}

func main() {
	probe.PureGoResolver()
	r := &net.Resolver{PreferGo: true}
	for _, name := range []string{"localhost", "no-such-host.simnet-test.invalid"} {
		t0 := time.Now()
		addrs, err := net.LookupHost(name)
		show("LookupHost "+name, addrs, err, time.Since(t0))

		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		t0 = time.Now()
		addrs, err = r.LookupHost(ctx, name)
		cancel()
		show("Resolver.LookupHost "+name, addrs, err, time.Since(t0))
	}
	fmt.Println("done")
}
