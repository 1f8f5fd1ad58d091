"""Programs for tests/integration/faults_toxics.sh (Toxiproxy's faults per
link and per port), besides those of faults.py, which this one offers too.

  slice_read PORT MODE      accept one connection; MODE plain: recv(64 KiB)
                            to EOF, print "reads COUNT MAX LEN SHA256 in
                            SECONDS"; MODE et: the same, one recv per
                            edge-triggered epoll event; MODE waitall: one recv(65536,
                            MSG_WAITALL), print "waitall LEN SHA256"
  send_close HOST PORT N HOW  connect, send N bytes, print "sent LEN
                            SHA256", then HOW (shutdown: SHUT_WR; close)
                            and print "closed T" (CLOCK_MONOTONIC, taken
                            just before)
  eof_at PORT MODE          accept one connection, read to EOF waiting by
                            MODE (block, poll, epoll; et: one recv per
                            edge-triggered epoll event): print "eof LEN
                            SHA256 T" (T: when the EOF was read)
  fin_wait2 PORT            accept one connection, shutdown(SHUT_WR), and
                            0.2 s later (the peer closed meanwhile) print
                            "early MASK" (poll, no wait), then "late MASK"
                            once poll says POLLIN (masks of POLLIN,
                            POLLOUT, POLLHUP, POLLRDHUP, in hex)
  read_close HOST PORT      connect, read to EOF, close
"""
import hashlib
import select
import socket
import sys
import time

from faults import *  # noqa: F401,F403 (its programs too)
from faults import accept_one, out, payload


def slice_read(port, mode):
    c = accept_one(port)
    if mode == "waitall":
        b = c.recv(65536, socket.MSG_WAITALL)
        out("waitall", len(b), hashlib.sha256(b).hexdigest())
        return
    h, n, count, most, t0 = hashlib.sha256(), 0, 0, 0, None
    ep = None
    if mode == "et":                # one read per edge-triggered event
        c.setblocking(False)
        ep = select.epoll()
        ep.register(c.fileno(), select.EPOLLIN | select.EPOLLET)
    while True:
        if ep:
            ep.poll()
        b = c.recv(65536)
        if not b:
            break
        t0 = t0 or time.monotonic()
        h.update(b)
        n += len(b)
        count += 1
        most = max(most, len(b))
    out("reads", count, most, n, h.hexdigest(), "in %.3f" % (time.monotonic() - (t0 or 0)))


def send_close(host, port, n, how):
    c = socket.create_connection((host, int(port)))
    b = payload(int(n), 5)
    c.sendall(b)
    out("sent", len(b), hashlib.sha256(b).hexdigest())
    t = time.monotonic()
    if how == "shutdown":
        c.shutdown(socket.SHUT_WR)
        out("closed %.3f" % t)
        c.recv(1)                   # until the reader closes
    else:
        c.close()
        out("closed %.3f" % t)


def eof_at(port, mode):
    c = accept_one(port)
    h, n = hashlib.sha256(), 0
    ep = None
    if mode in ("epoll", "et"):     # et: one recv per edge-triggered event
        ep = select.epoll()
        ep.register(c.fileno(), select.EPOLLIN | (select.EPOLLET if mode == "et" else 0))
    while True:
        if mode == "poll":
            p = select.poll()
            p.register(c.fileno(), select.POLLIN)
            p.poll()
        elif ep:
            ep.poll()
        b = c.recv(65536)
        if not b:
            break
        h.update(b)
        n += len(b)
    out("eof", n, h.hexdigest(), "%.3f" % time.monotonic())


def fin_wait2(port):
    c = accept_one(port)
    c.shutdown(socket.SHUT_WR)
    time.sleep(0.2)
    p = select.poll()
    ev = select.POLLIN | select.POLLOUT | select.POLLRDHUP
    p.register(c.fileno(), ev)
    keep = ev | select.POLLHUP
    r = p.poll(0)
    out("early %#x" % ((r[0][1] if r else 0) & keep))
    while True:
        r = p.poll(5000)
        if not r or r[0][1] & select.POLLIN:
            break
    out("late %#x" % ((r[0][1] if r else 0) & keep))


def read_close(host, port):
    c = socket.create_connection((host, int(port)))
    while c.recv(65536):
        pass
    c.close()


if __name__ == "__main__":
    globals()[sys.argv[1]](*sys.argv[2:])
