// tcp_echo: a differential test (tests/test_diff.c) of Go's TCP over
// 127.0.0.1 and ::1.  An echo server with a goroutine per connection,
// 8 clients at once each sending messages of several sizes; deadlines on
// Read, Accept and Write-side peers that never answer show as timeouts;
// half-close, a refused dial.  Only facts that are the same on every run
// are printed (no ports, no timings).
package main

import (
	"bytes"
	"fmt"
	"io"
	"libsimnet.test/go/internal/probe"
	"net"
	"sync"
	"time"
)

func serve(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func(c net.Conn) {
			defer c.Close()
			io.Copy(c, c)
		}(c)
	}
}

// client sends messages of growing sizes and checks each echo.
func client(addr string, id int) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	for _, n := range []int{1, 100, 1000, 65536, 300000} {
		msg := bytes.Repeat([]byte{byte('a' + id)}, n)
		errc := make(chan error, 1)
		go func() { _, err := c.Write(msg); errc <- err }()
		got := make([]byte, n)
		if _, err := io.ReadFull(c, got); err != nil {
			return err
		}
		if err := <-errc; err != nil {
			return err
		}
		if !bytes.Equal(got, msg) {
			return fmt.Errorf("echo of %d bytes differs", n)
		}
	}
	return nil
}

func echo(network, addr string) {
	ln, err := net.Listen(network, addr)
	if err != nil {
		probe.Fatal("listen "+addr, err)
	}
	defer ln.Close()
	go serve(ln)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func(i int) { defer wg.Done(); errs[i] = client(ln.Addr().String(), i) }(i)
	}
	wg.Wait()
	for i, err := range errs {
		fmt.Printf("%s client %d: %s\n", addr, i, probe.Kind(err))
	}
}

func deadlines() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		probe.Fatal("listen", err)
	}
	defer ln.Close()
	tl := ln.(*net.TCPListener)

	// Nobody connects: Accept times out, then still works.
	tl.SetDeadline(time.Now().Add(100 * time.Millisecond))
	t0 := time.Now()
	_, err = ln.Accept()
	fmt.Printf("accept with deadline, no client: %s, waited >= 90ms: %v\n",
		probe.Kind(err), time.Since(t0) >= 90*time.Millisecond)
	tl.SetDeadline(time.Time{})

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		probe.Fatal("dial", err)
	}
	defer c.Close()
	s, err := ln.Accept()
	if err != nil {
		probe.Fatal("accept", err)
	}
	defer s.Close()
	fmt.Printf("accept after clearing the deadline: ok\n")

	// The server says nothing: Read times out; a deadline in the past
	// fails at once; after clearing it, data still arrives.
	buf := make([]byte, 16)
	c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	t0 = time.Now()
	_, err = c.Read(buf)
	fmt.Printf("read with deadline, silent peer: %s, waited >= 90ms: %v\n",
		probe.Kind(err), time.Since(t0) >= 90*time.Millisecond)
	c.SetReadDeadline(time.Now().Add(-time.Second))
	_, err = c.Read(buf)
	fmt.Printf("read with a past deadline: %s\n", probe.Kind(err))
	c.SetReadDeadline(time.Time{})
	s.Write([]byte("late"))
	n, err := io.ReadFull(c, buf[:4])
	fmt.Printf("read after clearing: %s %q\n", probe.Kind(err), buf[:n])

	// A deadline set from another goroutine wakes a Read already blocked.
	done := make(chan error, 1)
	go func() { _, err := s.Read(buf); done <- err }()
	time.Sleep(50 * time.Millisecond)
	s.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	fmt.Printf("blocked read, deadline set meanwhile: %s\n", probe.Kind(<-done))

	// Nobody reads: writes fill the buffers, then the write deadline hits.
	c.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
	chunk := make([]byte, 65536)
	for {
		if _, err = c.Write(chunk); err != nil {
			break
		}
	}
	fmt.Printf("write with deadline, peer not reading: %s\n", probe.Kind(err))
}

func halfclose() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		probe.Fatal("listen", err)
	}
	defer ln.Close()
	go func() {
		s, err := ln.Accept()
		if err != nil {
			return
		}
		defer s.Close()
		b, _ := io.ReadAll(s)
		fmt.Fprintf(s, "got %d bytes", len(b))
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		probe.Fatal("dial", err)
	}
	defer c.Close()
	c.Write(bytes.Repeat([]byte("x"), 12345))
	c.(*net.TCPConn).CloseWrite()
	b, err := io.ReadAll(c)
	fmt.Printf("half-close: reply %q, %s\n", b, probe.Kind(err))
}

func refused() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		probe.Fatal("listen", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = net.DialTimeout("tcp", addr, 2*time.Second)
	fmt.Printf("dial a closed port: %s\n", probe.Kind(err))
	_, err = net.Listen("tcp", "127.0.0.1:0")
	fmt.Printf("listen again: %s\n", probe.Kind(err))
}

func main() {
	echo("tcp4", "127.0.0.1:0")
	echo("tcp6", "[::1]:0")
	deadlines()
	halfclose()
	refused()
	fmt.Println("done")
}
