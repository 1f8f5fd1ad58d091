"""Programs for tests/integration/faults_timeouts.sh: how long TCP takes
to give up under a partition, and when a listener sees a connection over
a delayed link.  Times are CLOCK_MONOTONIC (one clock for every process
of the machine), printed in seconds.

  syn HOST PORT SYNCNT MODE [USER_TIMEOUT]
                             connect with TCP_SYNCNT (and
                             TCP_USER_TIMEOUT, ms), blocking (MODE
                             block) or not (MODE poll: poll POLLOUT up
                             to 20 s, print its events and SO_ERROR):
                             print how it ended and after how long
  idle PORT                  accept one connection, print "accepted",
                             block in recv: print how it ended
  keepalive HOST PORT GO [send]
                             connect with SO_KEEPALIVE, TCP_KEEPIDLE 1,
                             TCP_KEEPINTVL 1, TCP_KEEPCNT 2, print
                             "ready", wait for GO (then send a byte if
                             asked), then wait in recv (through poll)
                             up to 6 s: print how it ended and after
                             how long
  listen_at PORT MODE        listen, print "listening", take one
                             connection (MODE block: accept; poll or
                             epoll: wait for POLLIN first): print
                             "accepted AT"
  connect_at HOST PORT       look HOST up, print "start AT", connect,
                             print "connected AT"
"""
import errno
import select
import socket
import sys
import time

from faults import TCP_USER_TIMEOUT, out, wait_go

TCP_SYNCNT = getattr(socket, "TCP_SYNCNT", 7)


def name(e):
    return errno.errorcode.get(e, str(e))


def since(t):
    return "after %.1f s" % (time.monotonic() - t)


def syn(host, port, syncnt, mode, user_timeout=None):
    c = socket.socket()
    c.setsockopt(socket.IPPROTO_TCP, TCP_SYNCNT, int(syncnt))
    if user_timeout:
        c.setsockopt(socket.IPPROTO_TCP, TCP_USER_TIMEOUT, int(user_timeout))
    t = time.monotonic()
    if mode == "block":
        try:
            c.connect((host, int(port)))
            out("connected", since(t))
        except OSError as e:
            out("connect failed", name(e.errno), since(t))
        return
    c.setblocking(False)
    r = c.connect_ex((host, int(port)))
    if r != errno.EINPROGRESS:
        out("connect said", name(r))
        return
    p = select.poll()
    p.register(c, select.POLLOUT)
    ev = p.poll(20000)
    bits = [b for b in ("POLLIN", "POLLOUT", "POLLERR", "POLLHUP")
            if ev and ev[0][1] & getattr(select, b)]
    e = c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    out("poll", "|".join(bits) or "timeout", "SO_ERROR", name(e) if e else 0, since(t))


def idle(port):
    l = socket.socket()
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(("0.0.0.0", int(port)))
    l.listen(4)
    out("listening")
    c, _ = l.accept()
    out("accepted")
    try:
        out("recv returned %r" % c.recv(10))
    except OSError as e:
        out("recv failed", name(e.errno))


def keepalive(host, port, go, send=None):
    c = socket.create_connection((host, int(port)))
    c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 2)
    out("ready")
    wait_go(go)
    t = time.monotonic()
    if send:
        c.send(b"x")
    c.settimeout(6)
    try:
        out("recv returned %r" % c.recv(10), since(t))
    except OSError as e:
        # socket.timeout is TimeoutError, which ETIMEDOUT also raises:
        # only the timeout has no errno.
        if e.errno is None:
            out("recv timed out", since(t))
        else:
            out("recv failed", name(e.errno), since(t))


def listen_at(port, mode):
    l = socket.socket()
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(("0.0.0.0", int(port)))
    l.listen(4)
    out("listening")
    if mode != "block":
        p = select.epoll() if mode == "epoll" else select.poll()
        p.register(l.fileno(), select.POLLIN)
        if not p.poll(10 if mode == "epoll" else 10000):   # s, ms
            sys.exit("poll on the listener timed out")
        l.setblocking(False)
    l.accept()
    out("accepted %.3f" % time.monotonic())


def connect_at(host, port):
    # The name first: a resolver's retry is not the handshake's time.
    addr = socket.getaddrinfo(host, int(port), socket.AF_INET, socket.SOCK_STREAM)[0][4]
    c = socket.socket()
    out("start %.3f" % time.monotonic())
    c.connect(addr)
    out("connected %.3f" % time.monotonic())


def accept_two(port, mode):
    """Accept two connections (after poll with MODE poll), print
    "accepted TAG T" for each, TAG the line its client sends."""
    l = socket.socket()
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(("0.0.0.0", int(port)))
    l.listen(4)
    out("listening")
    for _ in range(2):
        if mode == "poll":
            p = select.poll()
            p.register(l.fileno(), select.POLLIN)
            if not p.poll(10000):
                sys.exit("poll on the listener timed out")
        c, _ = l.accept()
        t = time.monotonic()
        out("accepted %s %.3f" % (c.recv(64).decode(), t))


def connect_tag(host, port, tag):
    addr = socket.getaddrinfo(host, int(port), socket.AF_INET, socket.SOCK_STREAM)[0][4]
    c = socket.socket()
    out("start %.3f" % time.monotonic())
    c.connect(addr)
    c.sendall(tag.encode())
    out("connected %.3f" % time.monotonic())
    time.sleep(2)


if __name__ == "__main__":
    globals()[sys.argv[1]](*sys.argv[2:])
