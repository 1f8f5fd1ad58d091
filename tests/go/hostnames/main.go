// hostnames: Go's own resolver on a named host (tests/integration/
// names_hosts.sh).  Run as `hostnames NAME ADDR HOST:PORT`: with
// GODEBUG=netdns=go (the program re-executes itself with it, since Go
// reads GODEBUG once at start) it looks NAME up (net.LookupHost), ADDR
// back (net.LookupAddr), an unknown name (failing, and fast), then dials
// HOST:PORT by name and sends a RESP PING.  One line per step.
package main

import (
	"bufio"
	"fmt"
	"libsimnet.test/go/internal/probe"
	"net"
	"os"
	"sort"
	"strings"
	"time"
)

func main() {
	probe.PureGoResolver()
	if len(os.Args) != 4 {
		fmt.Println("usage: hostnames NAME ADDR HOST:PORT")
		os.Exit(2)
	}
	name, addr, target := os.Args[1], os.Args[2], os.Args[3]

	addrs, err := net.LookupHost(name)
	sort.Strings(addrs)
	fmt.Printf("LookupHost %s: %s %v\n", name, strings.Join(addrs, " "), err)

	names, err := net.LookupAddr(addr)
	fmt.Printf("LookupAddr %s: %s %v\n", addr, strings.Join(names, " "), err)

	t0 := time.Now()
	_, err = net.LookupHost("no-such-host.example")
	fmt.Printf("LookupHost unknown: failed %v, under 1s %v\n", err != nil, time.Since(t0) < time.Second)

	c, err := net.DialTimeout("tcp", target, 3*time.Second)
	if err != nil {
		fmt.Printf("Dial %s: %v\n", target, err)
		os.Exit(1)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(3 * time.Second))
	fmt.Fprintf(c, "*1\r\n$4\r\nPING\r\n")
	line, err := bufio.NewReader(c).ReadString('\n')
	fmt.Printf("Dial %s: PING -> %s %v\n", target, strings.TrimSpace(line), err)
}
