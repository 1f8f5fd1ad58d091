"""Programs for tests/integration/faults.sh, each run on a host of its own
(`simnet run --host`).  The driver changes the links between them with
`simnet partition/heal/reset/link` and tells a program to go on by making
the file named by its last argument.

  sink PORT                 accept one connection, read to EOF, print
                            "done LEN SHA256"
  source HOST PORT GO       connect, send 64 KiB, print "phase1", wait
                            for GO, send 1 MiB more, print "sent LEN SHA256"
  stall HOST PORT GO        connect with TCP_USER_TIMEOUT 1 s, print
                            "ready", wait for GO, send a byte, block in
                            recv: print how it ended and after how long
  hold PORT                 accept one connection, print "accepted", block
                            in recv: print how it ended
  wait_reset HOST PORT      connect, print "connected", block in recv:
                            print how it ended
  connect HOST PORT GO      non-blocking connect, poll 1 s: print what
                            happened; wait for GO, poll again 5 s
  udp_sink PORT SECONDS GO  wait for GO, then print the numbers of the
                            datagrams received until SECONDS pass
                            without one
  udp_source HOST PORT N    send datagrams numbered 0..N-1
  echo PORT                 accept one connection, echo it to EOF
  rtt HOST PORT MODE N      connect, then N one-byte round trips, waiting
                            by MODE (block, poll, epoll): print the
                            connect time, the fastest and slowest round
                            trip and the CPU time used, in ms
  bulk HOST PORT BYTES      send BYTES, wait for the sink to close: print
                            how long it took
  try_connect HOST PORT     connect: print "connect ok" or "connect failed
                            ERRNO"
  drain PORT                accept one connection, read until EOF or an
                            error: print "drained LEN EOF|ERRNO"
  flood HOST PORT BYTES     connect, send BYTES in one call, then one
                            byte twice: print "flood SENT R2 R3" (the count
                            the first send returned; "ok" or the ERRNO of
                            the two others)
"""
import errno
import hashlib
import os
import select
import socket
import sys
import time

TCP_USER_TIMEOUT = getattr(socket, "TCP_USER_TIMEOUT", 18)


def name(e):
    return errno.errorcode.get(e.errno, str(e.errno))


def wait_go(path):
    for _ in range(2000):
        if os.path.exists(path):
            return
        time.sleep(0.01)
    sys.exit("no go file " + path)


def out(*a):
    print(*a, flush=True)


_listeners = []


def accept_one(port):
    """Listen on port (any address of this host), say so, take one
    connection.  The listener stays open until the program ends."""
    l = socket.socket()
    _listeners.append(l)
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(("0.0.0.0", int(port)))
    l.listen(4)
    out("listening")
    c, _ = l.accept()
    return c


def sink(port):
    c = accept_one(port)
    h, n = hashlib.sha256(), 0
    while True:
        b = c.recv(65536)
        if not b:
            break
        h.update(b)
        n += len(b)
    out("done", n, h.hexdigest())


def payload(n, seed):
    return bytes((i * 7 + seed) & 0xFF for i in range(n))


def source(host, port, go):
    c = socket.create_connection((host, int(port)))
    first, rest = payload(65536, 1), payload(1 << 20, 3)
    c.sendall(first)
    out("phase1")
    wait_go(go)
    c.sendall(rest)
    c.shutdown(socket.SHUT_WR)
    out("sent", len(first) + len(rest), hashlib.sha256(first + rest).hexdigest())
    c.recv(1)


def stall(host, port, go):
    c = socket.create_connection((host, int(port)))
    c.setsockopt(socket.IPPROTO_TCP, TCP_USER_TIMEOUT, 1000)
    out("ready")
    wait_go(go)
    c.send(b"x")
    t = time.monotonic()
    try:
        r = c.recv(10)
        out("recv returned", r, "after %.1f s" % (time.monotonic() - t))
    except OSError as e:
        out("recv failed", name(e), "after %.1f s" % (time.monotonic() - t))


def ended(s):
    try:
        r = s.recv(10)
        out("recv returned %r" % r)
    except OSError as e:
        out("recv failed", name(e))


def hold(port):
    c = accept_one(port)
    out("accepted")
    ended(c)


def wait_reset(host, port):
    c = socket.create_connection((host, int(port)))
    out("connected")
    ended(c)


def connect(host, port, go):
    c = socket.socket()
    c.setblocking(False)
    try:
        c.connect((host, int(port)))
    except BlockingIOError:
        pass
    except OSError as e:
        out("connect failed", name(e))
        return
    p = select.poll()
    p.register(c, select.POLLOUT)
    ev = p.poll(1000)
    out("after 1 s:", "timeout" if not ev else "ready, SO_ERROR %d" %
        c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR))
    wait_go(go)
    ev = p.poll(5000)
    e = c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    out("after heal:", "timeout" if not ev else "ready, SO_ERROR %s" %
        (errno.errorcode.get(e, e) if e else 0))


def udp_sink(port, secs, go):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("0.0.0.0", int(port)))
    out("listening")
    wait_go(go)                     # the senders are done: drain
    u.settimeout(float(secs))
    got = []
    try:
        while True:
            got.append(int(u.recv(100)))
    except socket.timeout:
        pass
    out("got", len(got), " ".join(map(str, got)))


def udp_source(host, port, n):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(int(n)):
        u.sendto(b"%d" % i, (host, int(port)))
        if i % 50 == 49:
            time.sleep(0.01)        # never more than the receiver's queue
    out("sent", n)


def echo(port):
    c = accept_one(port)
    while True:
        b = c.recv(4096)
        if not b:
            break
        c.sendall(b)


def ms(t):
    return "%.0f" % (t * 1000)


def rtt(host, port, mode, n):
    t = time.monotonic()
    c = socket.create_connection((host, int(port)))
    conn = time.monotonic() - t
    if mode != "block":
        c.setblocking(False)
    waiter = select.epoll() if mode == "epoll" else select.poll()
    waiter.register(c.fileno(), select.POLLIN)
    cpu0 = time.process_time()
    times = []
    for _ in range(int(n)):
        t = time.monotonic()
        c.send(b"x")
        if mode != "block" and not waiter.poll(-1):
            sys.exit("woke with nothing ready")
        if c.recv(1) != b"x":
            sys.exit("echo lost")
        times.append(time.monotonic() - t)
    cpu = time.process_time() - cpu0
    out("connect", ms(conn), "rtt", ms(min(times)), ms(max(times)), "cpu", ms(cpu))


def bulk(host, port, n):
    c = socket.create_connection((host, int(port)))
    t = time.monotonic()
    c.sendall(payload(int(n), 5))
    c.shutdown(socket.SHUT_WR)
    c.recv(1)
    out("bulk", n, "in %.2f s" % (time.monotonic() - t))


def try_connect(host, port):
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
        out("connect ok")
    except OSError as e:
        out("connect failed", name(e))


def drain(port):
    c = accept_one(port)
    n, how = 0, "EOF"
    try:
        while True:
            b = c.recv(65536)
            if not b:
                break
            n += len(b)
    except OSError as e:
        how = name(e)
    out("drained", n, how)


def flood(host, port, n):
    c = socket.create_connection((host, int(port)))
    res = [c.send(payload(int(n), 9))]
    for _ in range(2):
        try:
            c.send(b"x")
            res.append("ok")
        except OSError as e:
            res.append(name(e))
    out("flood", *res)


if __name__ == "__main__":
    globals()[sys.argv[1]](*sys.argv[2:])
