// http: a differential test (tests/test_diff.c) of net/http, server and
// client in one process over 127.0.0.1: GET and POST, a 1 MiB body
// (sha256), keep-alive (one connection for 20 requests), 16 requests at
// once, a client Timeout on a handler that stalls (a timeout error), and
// Shutdown.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"libsimnet.test/go/internal/probe"
	"net"
	"net/http"
	"net/http/httptrace"
	"sort"
	"strings"
	"sync"
	"time"
)

var big = bytes.Repeat([]byte("0123456789abcdef"), 65536)

// release ends the /stall handler once the client has timed out.
var release = make(chan struct{})

func handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s", r.URL.Query().Get("who"))
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Write(big)
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		fmt.Fprintf(w, "%s %x", r.Method, sha256.Sum256(b))
	})
	mux.HandleFunc("/stall", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	return mux
}

func get(c *http.Client, url string) (int, []byte, error) {
	resp, err := c.Get(url)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		probe.Fatal("listen", err)
	}
	srv := &http.Server{Handler: handler()}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	base := "http://" + ln.Addr().String()
	c := &http.Client{Timeout: 10 * time.Second}

	st, b, err := get(c, base+"/hello?who=go")
	fmt.Printf("GET /hello: %d %q %v\n", st, b, err)
	st, b, err = get(c, base+"/nothing")
	fmt.Printf("GET /nothing: %d %v\n", st, err)
	st, b, err = get(c, base+"/big")
	fmt.Printf("GET /big: %d len %d same %v %v\n", st, len(b), bytes.Equal(b, big), err)
	resp, err := c.Post(base+"/echo", "application/octet-stream", bytes.NewReader(big))
	if err != nil {
		probe.Fatal("POST", err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Printf("POST /echo 1 MiB: %d %v\n", resp.StatusCode,
		string(b) == fmt.Sprintf("POST %x", sha256.Sum256(big)))

	// Keep-alive: 20 sequential requests, count new connections.
	var mu sync.Mutex
	fresh := 0
	trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) {
		mu.Lock()
		if !i.Reused {
			fresh++
		}
		mu.Unlock()
	}}
	kc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}
	for i := 0; i < 20; i++ {
		req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace),
			"GET", fmt.Sprintf("%s/hello?who=%d", base, i), nil)
		resp, err := kc.Do(req)
		if err != nil {
			probe.Fatal("keep-alive GET", err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	fmt.Printf("20 sequential GETs on a keep-alive client: %d connection(s)\n", fresh)

	// 16 at once.
	var wg sync.WaitGroup
	res := make([]string, 16)
	for i := range res {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			st, b, err := get(c, fmt.Sprintf("%s/hello?who=%02d", base, i))
			res[i] = fmt.Sprintf("%d %s %v", st, b, err)
		}(i)
	}
	wg.Wait()
	sort.Strings(res)
	fmt.Printf("16 GETs at once:\n  %s\n", strings.Join(res, "\n  "))

	// A client timeout while the handler stalls.
	tc := &http.Client{Timeout: 200 * time.Millisecond}
	_, _, err = get(tc, base+"/stall")
	var ne net.Error
	fmt.Printf("GET /stall with a 200ms client timeout: timeout %v\n",
		errors.As(err, &ne) && ne.Timeout())
	close(release)

	// Clients drop their idle connections, so the server has none left
	// that never carried a request (Shutdown waits 5 s for those).
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	kc.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = srv.Shutdown(ctx)
	fmt.Printf("Shutdown: %v, Serve returned ErrServerClosed: %v\n", err,
		errors.Is(<-served, http.ErrServerClosed))
	_, _, err = get(&http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{}}, base+"/hello")
	fmt.Printf("GET after Shutdown fails: %v\n", err != nil)
	fmt.Println("done")
}
