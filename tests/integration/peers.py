#!/usr/bin/env python3
"""peers.py — the server and client programs of tests/integration/*.sh.

Plain blocking socket code (no timeouts, no selectors).  Usage: peers.py COMMAND ARGS...; every
command prints what it saw on stdout, one fact per line, flushed, so the
driver script can wait for lines and check contents.  Servers print
"ready PORT PID" once they listen.
"""
import errno
import hashlib
import os
import signal
import socket
import sys
import threading
import time

from common import echo_until_eof, errname, family, listener, ready, recv_exact, recv_line, say


# --------------------------------------------------------------------------
# TCP bulk echo

def tcp_echo_server(host, port):
    """Serve one connection: echo everything until EOF, then report the
    sha256 and length of what was received."""
    ls = listener(host, int(port))
    ready(ls)
    c, peer = ls.accept()
    say("peer", peer[0])
    n, digest = echo_until_eof(c)
    ls.close()
    say("server-received", n, digest)


def tcp_bulk_client(host, port, nbytes):
    """Send NBYTES random bytes in irregular pieces from one thread while
    the main thread reads the echo until EOF; compare sha256."""
    nbytes = int(nbytes)
    data = os.urandom(nbytes)
    s = socket.socket(family(host), socket.SOCK_STREAM)
    s.connect((host, int(port)))
    say("local", s.getsockname()[0], "peer", s.getpeername()[0])
    err = []

    def sender():
        try:
            off, k = 0, 0
            sizes = (1, 1000, 65536, 4093, 300000, 17)
            while off < nbytes:
                step = sizes[k % len(sizes)]
                k += 1
                s.sendall(data[off:off + step])
                off += step
            s.shutdown(socket.SHUT_WR)
        except OSError as e:
            err.append(errname(e))

    t = threading.Thread(target=sender)
    t.start()
    got = bytearray()
    while True:
        chunk = s.recv(262144)
        if not chunk:
            break
        got += chunk
    t.join()
    s.close()
    if err:
        say("send-error", err[0])
    sent_h = hashlib.sha256(data).hexdigest()
    got_h = hashlib.sha256(got).hexdigest()
    say("client-sent", nbytes, sent_h)
    say("client-received", len(got), got_h)
    if err or got_h != sent_h:
        sys.exit(1)


# --------------------------------------------------------------------------
# UDP echo

def udp_echo_server(host, port):
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    s.bind((host, int(port)))
    ready(s)
    while True:
        data, addr = s.recvfrom(65535)
        if data == b"quit":
            say("quit from", addr[0])
            break
        say("echo", len(data), "from", addr[0])
        s.sendto(data, addr)


def udp_client(host, port, *sizes):
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    dest = (host, int(port))
    bad = 0
    for i, n in enumerate(int(x) for x in sizes):
        # distinct content per datagram: random, with an index byte first
        payload = bytes([i + 1]) + os.urandom(n - 1)
        sent = s.sendto(payload, dest)
        reply, src = s.recvfrom(65535)
        ok = reply == payload and src[0] == dest[0] and src[1] == dest[1]
        say("size", n, "sent", sent, "got", len(reply), "from", src[0],
            src[1], "ok" if ok else "MISMATCH")
        bad += not ok
    s.sendto(b"quit", dest)
    s.close()
    sys.exit(1 if bad else 0)


# --------------------------------------------------------------------------
# Banner server / client: who answers on this port?

def banner_server(host, port, banner, udp="0"):
    """Accept connections one after another: send BANNER, read one line,
    answer "BANNER:echo:LINE", close.  With udp=1 also hold a UDP socket
    bound to the same port (for the ss check)."""
    ls = listener(host, int(port))
    if udp == "1":
        us = socket.socket(family(host), socket.SOCK_DGRAM)
        us.bind((host, int(port)))
    ready(ls)
    served = 0
    while True:
        c, _ = ls.accept()
        c.sendall(banner.encode() + b"\n")
        line = recv_line(c)
        c.sendall(banner.encode() + b":echo:" + line)
        c.close()
        served += 1
        say("served", served)


def banner_client(host, port, hold_file=""):
    """Connect, print the banner; with HOLD_FILE keep the connection open
    until that file exists, then finish the exchange."""
    s = socket.socket(family(host), socket.SOCK_STREAM)
    try:
        s.connect((host, int(port)))
    except OSError as e:
        say("connect-error", errname(e))
        return
    banner = recv_line(s).decode().strip()
    say("banner", banner)
    if hold_file:
        say("holding", s.getsockname()[1])
        while not os.path.exists(hold_file):
            time.sleep(0.02)
    s.sendall(b"bye\n")
    reply = recv_line(s).decode().strip()
    say("reply", reply)
    if reply != banner + ":echo:bye":
        sys.exit(1)


# --------------------------------------------------------------------------
# Many clients at once

def thread_server(host, port):
    """One thread per connection.  Request: 4-byte length + payload;
    response: 4-byte length + sha256(payload) + reversed payload."""
    ls = listener(host, int(port))
    ready(ls)
    lock = threading.Lock()
    count = [0, 0]   # connections, requests

    def serve(c):
        while True:
            try:
                hdr = recv_exact(c, 4)
            except EOFError:
                break
            n = int.from_bytes(hdr, "big")
            req = recv_exact(c, n)
            resp = hashlib.sha256(req).digest() + req[::-1]
            c.sendall(len(resp).to_bytes(4, "big") + resp)
            with lock:
                count[1] += 1
        c.close()
        with lock:
            count[0] += 1
            say("done-connections", count[0], "requests", count[1])

    while True:
        c, _ = ls.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


def thread_client(host, port, nthreads, nreq):
    nthreads, nreq = int(nthreads), int(nreq)
    results = [None] * nthreads
    barrier = threading.Barrier(nthreads)

    def worker(i):
        try:
            s = socket.socket(family(host), socket.SOCK_STREAM)
            s.connect((host, int(port)))
            barrier.wait()          # all connected: exchanges overlap
            good = 0
            for j in range(nreq):
                req = ("thread %d request %d " % (i, j)).encode() \
                    + os.urandom((i * 131 + j * 977) % 5000)
                s.sendall(len(req).to_bytes(4, "big") + req)
                n = int.from_bytes(recv_exact(s, 4), "big")
                resp = recv_exact(s, n)
                if resp == hashlib.sha256(req).digest() + req[::-1]:
                    good += 1
            s.close()
            results[i] = good
        except Exception as e:      # reported below
            results[i] = repr(e)

    threads = [threading.Thread(target=worker, args=(i,))
               for i in range(nthreads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    bad = [(i, r) for i, r in enumerate(results) if r != nreq]
    total = sum(r for r in results if isinstance(r, int))
    say("correct", total, "of", nthreads * nreq)
    for i, r in bad[:5]:
        say("thread", i, "result", r)
    sys.exit(1 if bad else 0)


# --------------------------------------------------------------------------
# A server that dies, a client blocked in recv

def hello_server(host, port):
    ls = listener(host, int(port))
    ready(ls)
    c, _ = ls.accept()
    c.sendall(b"hello\n")
    say("sent-hello")
    while True:
        time.sleep(60)


def blocked_client(host, port, unread="0", hold_file=""):
    """Connect, read the greeting, (with unread=1: send 100 bytes the
    server will never read), then block in recv() and report how it
    returned, with the wall-clock time.  With HOLD_FILE keep the socket
    open afterwards until that file exists."""
    s = socket.socket(family(host), socket.SOCK_STREAM)
    s.connect((host, int(port)))
    say("got", recv_line(s).decode().strip())
    if unread == "1":
        s.sendall(b"u" * 100)
    say("blocking")
    try:
        data = s.recv(100)
        what = "eof" if data == b"" else "data %r" % data
    except OSError as e:
        what = "error " + errname(e)
    say("woke", what, time.time_ns())
    if hold_file:
        while not os.path.exists(hold_file):
            time.sleep(0.02)
    s.close()


def try_bind(host, port):
    s = socket.socket(family(host), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((host, int(port)))
        s.listen(1)
        return s, "ok"
    except OSError as e:
        s.close()
        return None, errname(e)


def rebind(host, port, trigger_file, within):
    """Try once to bind+listen on PORT (SO_REUSEADDR, as servers do) and
    report the result ("before ..."); then wait for TRIGGER_FILE, which
    holds the time (ns) the old owner was killed, and retry until that
    time + WITHIN seconds.  Print "rebound-ns NS" or "rebind-failed ERR"."""
    s, res = try_bind(host, port)
    say("before", res)
    if s:
        s.close()
    say("armed")
    while True:
        try:
            with open(trigger_file) as f:
                t0 = int(f.read())
            break
        except (OSError, ValueError):
            time.sleep(0.005)
    deadline = t0 + int(float(within) * 1e9)
    while True:
        s, res = try_bind(host, port)
        if s:
            say("rebound-ns", time.time_ns())
            s.close()
            return
        if time.time_ns() > deadline:
            say("rebind-failed", res)
            sys.exit(1)
        time.sleep(0.005)


COMMANDS = {f.__name__.replace("_", "-"): f for f in (
    tcp_echo_server, tcp_bulk_client, udp_echo_server, udp_client,
    banner_server, banner_client, thread_server, thread_client,
    hello_server, blocked_client, rebind)}

if __name__ == "__main__":
    # Last resort if the driver itself is killed: never outlive it long.
    signal.alarm(60)
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit("usage: peers.py {%s} ARGS..." % ",".join(COMMANDS))
    COMMANDS[sys.argv[1]](*sys.argv[2:])
