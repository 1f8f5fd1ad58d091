// stress: a differential test (tests/test_diff.c) of the Go runtime's
// signals and threads around blocking socket reads.  GOMAXPROCS 4; 64
// goroutines each block in Read on their own TCP connection while a
// writer goroutine, driven by timers, sends each of them 20 messages;
// meanwhile goroutines spin in loops without calls (only asynchronous
// preemption, SIGURG, can stop them) and runtime.GC() must still stop the
// world, and a quarter of the readers end on a read deadline.
package main

import (
	"errors"
	"fmt"
	"io"
	"libsimnet.test/go/internal/probe"
	"net"
	"os"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

const (
	readers = 64
	rounds  = 20
)

func pairs(n int) (cs, ss []net.Conn) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		probe.Fatal("listen", err)
	}
	defer ln.Close()
	for i := 0; i < n; i++ {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			probe.Fatal("dial", err)
		}
		s, err := ln.Accept()
		if err != nil {
			probe.Fatal("accept", err)
		}
		cs, ss = append(cs, c), append(ss, s)
	}
	return
}

func main() {
	runtime.GOMAXPROCS(4)
	cs, ss := pairs(readers)

	// Spinners: loops with no function calls, preemptible only by signal.
	var stop, spins int32
	for i := 0; i < 4; i++ {
		go func() {
			n := 0
			for atomic.LoadInt32(&stop) == 0 {
				n++
			}
			atomic.AddInt32(&spins, 1)
		}()
	}

	var wg sync.WaitGroup
	got := make([]int, readers)
	ends := make([]string, readers)
	for i := 0; i < readers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			buf := make([]byte, 8)
			for {
				if i%4 == 3 && got[i] == rounds {
					cs[i].SetReadDeadline(time.Now().Add(100 * time.Millisecond))
				}
				_, err := io.ReadFull(cs[i], buf)
				if err != nil {
					switch {
					case errors.Is(err, os.ErrDeadlineExceeded):
						ends[i] = "deadline"
					case errors.Is(err, io.EOF):
						ends[i] = "EOF"
					default:
						ends[i] = err.Error()
					}
					return
				}
				if string(buf) != fmt.Sprintf("m%07d", got[i]) {
					ends[i] = "bad data " + string(buf)
					return
				}
				got[i]++
			}
		}(i)
	}

	// Timers drive the writer: every 5 ms a round to every reader.
	tick := time.NewTicker(5 * time.Millisecond)
	fired := 0
	gcs := 0
	for r := 0; r < rounds; r++ {
		<-tick.C
		fired++
		for i := 0; i < readers; i++ {
			if _, err := fmt.Fprintf(ss[i], "m%07d", r); err != nil {
				probe.Fatal("write", err)
			}
		}
		if r%5 == 0 {
			runtime.GC() // stops the world: the spinners must be preempted
			gcs++
		}
	}
	tick.Stop()
	// Three quarters get EOF, the others wait for their deadline.
	for i := 0; i < readers; i++ {
		if i%4 != 3 {
			ss[i].Close()
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		fmt.Println("FAIL readers still blocked after 20 s")
		os.Exit(1)
	}
	atomic.StoreInt32(&stop, 1)
	for atomic.LoadInt32(&spins) != 4 {
		runtime.Gosched()
	}

	count := map[string]int{}
	for i := 0; i < readers; i++ {
		count[fmt.Sprintf("%d messages then %s", got[i], ends[i])]++
	}
	fmt.Printf("timer ticks: %d, GCs with 4 spinning goroutines: %d, spinners stopped: %d\n",
		fired, gcs, spins)
	var keys []string
	for k := range count {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Printf("readers with %s: %d\n", k, count[k])
	}
	for i := range cs {
		cs[i].Close()
		ss[i].Close()
	}
}
