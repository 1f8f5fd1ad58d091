// udp_echo: a differential test (tests/test_diff.c) of Go's UDP over
// 127.0.0.1 and ::1: an echo server goroutine, datagrams of 1, 1000 and
// 65507 bytes (65527 on IPv6) from a connected and an unconnected client,
// a read deadline that shows as a timeout, and the ECONNREFUSED a
// connected socket gets after sending to a port nobody listens on.
package main

import (
	"bytes"
	"fmt"
	"libsimnet.test/go/internal/probe"
	"net"
	"time"
)

func server(pc net.PacketConn) {
	buf := make([]byte, 70000)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		pc.WriteTo(buf[:n], from)
	}
}

func run(network, addr string, max int) {
	pc, err := net.ListenPacket(network, addr)
	if err != nil {
		probe.Fatal("listen "+addr, err)
	}
	defer pc.Close()
	go server(pc)
	srv := pc.LocalAddr().(*net.UDPAddr)

	c, err := net.DialUDP(network, nil, srv)
	if err != nil {
		probe.Fatal("dial", err)
	}
	defer c.Close()
	buf := make([]byte, 70000)
	for _, n := range []int{1, 1000, max} {
		msg := bytes.Repeat([]byte{byte(n)}, n)
		_, err := c.Write(msg)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		m, rerr := c.Read(buf)
		fmt.Printf("%s connected %d bytes: write %s, read %s, same %v\n",
			addr, n, probe.Kind(err), probe.Kind(rerr), bytes.Equal(buf[:m], msg))
	}
	_, err = c.Write(make([]byte, max+1))
	fmt.Printf("%s connected %d bytes: write %s\n", addr, max+1, probe.Kind(err))

	u, err := net.ListenUDP(network, &net.UDPAddr{IP: srv.IP})
	if err != nil {
		probe.Fatal("listen client", err)
	}
	defer u.Close()
	u.WriteToUDP([]byte("hello"), srv)
	u.SetReadDeadline(time.Now().Add(5 * time.Second))
	m, from, err := u.ReadFromUDP(buf)
	fmt.Printf("%s unconnected: read %s %q, from the server %v\n",
		addr, probe.Kind(err), buf[:m], err == nil && from.Port == srv.Port)

	// Nothing comes: the deadline.
	u.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	_, _, err = u.ReadFromUDP(buf)
	fmt.Printf("%s read with deadline, nothing sent: %s\n", addr, probe.Kind(err))
}

// refused: a connected UDP socket sending to a closed port learns of it
// (ICMP port unreachable on Linux) at its next call.
func refused() {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		probe.Fatal("listen", err)
	}
	dst := pc.LocalAddr().(*net.UDPAddr)
	pc.Close()
	c, err := net.DialUDP("udp4", nil, dst)
	if err != nil {
		probe.Fatal("dial", err)
	}
	defer c.Close()
	_, err = c.Write([]byte("anyone?"))
	fmt.Printf("send to a closed port: %s\n", probe.Kind(err))
	c.SetReadDeadline(time.Now().Add(time.Second))
	_, err = c.Read(make([]byte, 10))
	fmt.Printf("then read: %s\n", probe.Kind(err))
}

func main() {
	run("udp4", "127.0.0.1:0", 65507)
	run("udp6", "[::1]:0", 65527)
	refused()
	fmt.Println("done")
}
