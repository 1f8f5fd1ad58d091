// http_server: a net/http server for tests/integration/go_http.sh.
//
//	http_server ADDR
//
// Listens on ADDR (host:port), prints "listening on ADDR" and serves
// GET /hello (a greeting), GET /bytes?n=N (N bytes of a fixed pattern)
// and GET /quit (answers, then shuts the server down: exit 0).
package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: http_server HOST:PORT")
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "http_server:", err)
		os.Exit(1)
	}
	quit := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from Go, you are %s\n", r.UserAgent())
	})
	mux.HandleFunc("/bytes", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.URL.Query().Get("n"))
		if err != nil || n < 0 || n > 64<<20 {
			http.Error(w, "bad n", http.StatusBadRequest)
			return
		}
		w.Write(bytes.Repeat([]byte("go"), n/2+1)[:n])
	})
	mux.HandleFunc("/quit", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "bye")
		close(quit)
	})
	srv := &http.Server{Handler: mux}
	// Serve returns as soon as Shutdown begins; Shutdown returns once
	// /quit's answer is written.  Exit only then, or curl may get an
	// empty reply.
	shut := make(chan struct{})
	go func() {
		<-quit
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		close(shut)
	}()
	fmt.Printf("listening on %s\n", ln.Addr())
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		fmt.Fprintln(os.Stderr, "http_server:", err)
		os.Exit(1)
	}
	<-shut
}
