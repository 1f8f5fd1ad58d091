// resp_client: a minimal Redis client (RESP over TCP, stdlib only) for
// tests/integration/go_redis.sh.
//
//	resp_client HOST:PORT KEY VALUE
//
// SET KEY VALUE, GET KEY (checked), DEL KEY, GET KEY (nil), then 100
// INCRs on KEY:n pipelined over 8 connections at once (the total is
// checked).  Prints what it saw, one line a step; exit 1 on any mismatch.
package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

type conn struct {
	c net.Conn
	r *bufio.Reader
}

func dial(addr string) (*conn, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return &conn{c, bufio.NewReader(c)}, nil
}

// send writes one command as a RESP array of bulk strings.
func (k *conn) send(args ...string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	_, err := k.c.Write([]byte(b.String()))
	return err
}

// reply reads one reply: a simple string, error, integer or bulk string
// (nil as "(nil)").
func (k *conn) reply() (string, error) {
	line, err := k.r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("empty reply line")
	}
	switch line[0] {
	case '+', ':':
		return line[1:], nil
	case '-':
		return "", fmt.Errorf("server error: %s", line[1:])
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil {
			return "", fmt.Errorf("bad bulk length %q", line)
		}
		if n < 0 {
			return "(nil)", nil
		}
		buf := make([]byte, n+2)
		if _, err := readFull(k.r, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	}
	return "", fmt.Errorf("unexpected reply %q", line)
}

func readFull(r *bufio.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (k *conn) do(args ...string) (string, error) {
	if err := k.send(args...); err != nil {
		return "", err
	}
	return k.reply()
}

func fail(format string, a ...interface{}) {
	fmt.Printf("FAIL "+format+"\n", a...)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: resp_client HOST:PORT KEY VALUE")
		os.Exit(2)
	}
	addr, key, val := os.Args[1], os.Args[2], os.Args[3]
	k, err := dial(addr)
	if err != nil {
		fail("dial %s: %v", addr, err)
	}
	steps := [][]string{
		{"SET", key, val}, {"OK"},
		{"GET", key}, {val},
		{"DEL", key}, {"1"},
		{"GET", key}, {"(nil)"},
		{"DEL", key + ":n"}, {""},
	}
	for i := 0; i < len(steps); i += 2 {
		r, err := k.do(steps[i]...)
		if err != nil {
			fail("%s: %v", steps[i][0], err)
		}
		if steps[i+1][0] != "" && r != steps[i+1][0] {
			fail("%s answered %q, expected %q", strings.Join(steps[i], " "), r, steps[i+1][0])
		}
		fmt.Printf("%s -> %s\n", steps[i][0], r)
	}

	// 8 connections, 100 pipelined INCRs each.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for j := 0; j < 8; j++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := dial(addr)
			if err != nil {
				errs <- err
				return
			}
			defer c.c.Close()
			for i := 0; i < 100; i++ {
				if err := c.send("INCR", key+":n"); err != nil {
					errs <- err
					return
				}
			}
			for i := 0; i < 100; i++ {
				if _, err := c.reply(); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		fail("pipelined INCR: %v", err)
	}
	r, err := k.do("GET", key+":n")
	if err != nil || r != "800" {
		fail("GET %s:n after 800 INCRs: %q %v", key, r, err)
	}
	fmt.Printf("800 pipelined INCRs over 8 connections -> %s\n", r)
	k.c.Close()
}
