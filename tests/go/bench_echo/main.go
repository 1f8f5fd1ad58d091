// bench_echo: the Go column of `make bench` (scripts/bench), built as
// build/bench/go_echo.  A Go echo server in a child process (this
// program re-run with -serve) and a Go client in this one, over
// 127.0.0.1; the same binary runs on the kernel's loopback and under the
// library.
//
//	go_echo -m rr|stream|conn
//
// rr: 1-byte round trips on one connection, median and p99 (us);
// stream: 64 KiB writes to a server that checks and counts (MB/s);
// conn: connect + 1-byte exchange + close, one after another (conn/s).
//
// Output as bench.h: "RESULT <name> <value> <unit> <better>".  Every
// byte is checked; exit 3 on a mismatch, 2 on any other failure; a run
// longer than 30 s exits 2.  BENCH_SECS sets the measuring time.
package main

import (
	"bufio"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func die(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "go_echo[%d]: "+format+"\n", append([]interface{}{os.Getpid()}, a...)...)
	os.Exit(2)
}

func corrupt(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "go_echo[%d]: DATA MISMATCH: "+format+"\n", append([]interface{}{os.Getpid()}, a...)...)
	os.Exit(3)
}

func result(name string, v float64, unit, better string) {
	fmt.Printf("RESULT %s %.6g %s %s\n", name, v, unit, better)
}

// pattern byte at stream offset off.
func pat(off uint64) byte { return byte(off*7 + off>>8) }

// serve: the first byte of a connection picks what it gets.
//
//	'e' echo; 's' sink: check the pattern, at EOF answer the byte count
//	(8 bytes) or close without answering on a mismatch; 'c' one byte back.
func serve() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		die("listen: %v", err)
	}
	fmt.Println(ln.Addr().(*net.TCPAddr).Port)
	for {
		c, err := ln.Accept()
		if err != nil {
			die("accept: %v", err)
		}
		go func(c net.Conn) {
			defer c.Close()
			var m [1]byte
			if _, err := io.ReadFull(c, m[:]); err != nil {
				return
			}
			switch m[0] {
			case 'e':
				io.Copy(c, c)
			case 'c':
				c.Write(m[:])
			case 's':
				buf := make([]byte, 256<<10)
				var off uint64
				for {
					n, err := c.Read(buf)
					for i := 0; i < n; i++ {
						if buf[i] != pat(off+uint64(i)) {
							return
						}
					}
					off += uint64(n)
					if err != nil {
						break
					}
				}
				var b [8]byte
				binary.LittleEndian.PutUint64(b[:], off)
				c.Write(b[:])
			}
		}(c)
	}
}

func startServer() (string, *exec.Cmd) {
	self, err := os.Executable()
	if err != nil {
		die("os.Executable: %v", err)
	}
	cmd := exec.Command(self, "-serve")
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		die("pipe: %v", err)
	}
	if err := cmd.Start(); err != nil {
		die("start server: %v", err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	port, perr := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || perr != nil {
		die("server printed no port (%q)", line)
	}
	return fmt.Sprintf("127.0.0.1:%d", port), cmd
}

func dial(addr string, mode byte) net.Conn {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		die("connect: %v", err)
	}
	if _, err := c.Write([]byte{mode}); err != nil {
		die("write: %v", err)
	}
	return c
}

func rr(addr string, secs time.Duration) {
	c := dial(addr, 'e')
	defer c.Close()
	var lat []time.Duration
	b := []byte{0}
	end := time.Now().Add(secs)
	for i := 0; time.Now().Before(end) || i < 100; i++ {
		want := byte(i)
		b[0] = want
		t0 := time.Now()
		if _, err := c.Write(b); err != nil {
			die("write: %v", err)
		}
		if _, err := io.ReadFull(c, b); err != nil {
			die("read: %v", err)
		}
		lat = append(lat, time.Since(t0))
		if b[0] != want {
			corrupt("round trip %d: got %d", i, b[0])
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	us := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))]) / 1e3 }
	result("go_rr1_median", us(0.5), "us", "lower")
	result("go_rr1_p99", us(0.99), "us", "lower")
}

func stream(addr string, secs time.Duration) {
	c := dial(addr, 's')
	defer c.Close()
	buf := make([]byte, 64<<10)
	var off uint64
	t0 := time.Now()
	for time.Since(t0) < secs {
		for i := range buf {
			buf[i] = pat(off + uint64(i))
		}
		if _, err := c.Write(buf); err != nil {
			die("write: %v", err)
		}
		off += uint64(len(buf))
	}
	c.(*net.TCPConn).CloseWrite()
	var b [8]byte
	if _, err := io.ReadFull(c, b[:]); err != nil {
		corrupt("server found a wrong byte or closed early (%v)", err)
	}
	dt := time.Since(t0)
	if got := binary.LittleEndian.Uint64(b[:]); got != off {
		corrupt("server received %d bytes, %d sent", got, off)
	}
	result("go_stream", float64(off)/1e6/dt.Seconds(), "MB/s", "higher")
}

func conn(addr string, secs time.Duration) {
	n := 0
	t0 := time.Now()
	for ; time.Since(t0) < secs || n < 10; n++ {
		c := dial(addr, 'c')
		var b [1]byte
		if _, err := io.ReadFull(c, b[:]); err != nil || b[0] != 'c' {
			corrupt("connection %d: reply %q (%v)", n, b[0], err)
		}
		c.Close()
	}
	result("go_conn_rate", float64(n)/time.Since(t0).Seconds(), "conn/s", "higher")
}

func main() {
	mode := flag.String("m", "rr", "rr, stream or conn")
	server := flag.Bool("serve", false, "run as the server (internal)")
	flag.Parse()
	time.AfterFunc(30*time.Second, func() { die("still running after 30 s") })
	if *server {
		serve()
		return
	}
	secs := 0.4
	if s := os.Getenv("BENCH_SECS"); s != "" {
		if v, err := strconv.ParseFloat(s, 64); err == nil && v > 0 {
			secs = v
		}
	}
	d := time.Duration(secs * float64(time.Second))
	addr, cmd := startServer()
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	switch *mode {
	case "rr":
		rr(addr, d)
	case "stream":
		stream(addr, d)
	case "conn":
		conn(addr, d)
	default:
		die("unknown mode %q (rr, stream, conn)", *mode)
	}
}
