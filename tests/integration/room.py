#!/usr/bin/env python3
"""room.py — the programs of tests/integration/full_fs.sh: many
connections filling a network whose arena sits on a small file system.

  room.py server HOST PORT
      Accept and read every connection until EOF (one thread, selectors),
      printing "conn PEERPORT BYTES SHA256" as each one ends.  A connection
      whose first line is "END K" ends the run once K data connections
      have ended: the server prints "done K" and exits.
  room.py client HOST PORT NCONN NBYTES
      Open NCONN connections, then send NBYTES of distinct random bytes on
      each, round-robin in pieces of varying size with blocking send().
      A call that fails must fail with ENOBUFS or ENOMEM (no room in the
      network); that connection sends nothing more.  Prints, per
      connection, "conn LOCALPORT SENT SHA256" over exactly the bytes that
      send() reported sent, "error CALL ENAME" per failed call, and a
      summary "sent-all N failed F".  Any other error: "bad-error ...".
"""
import errno
import hashlib
import os
import selectors
import socket
import sys
import time

from common import errname, family, listener, ready, say

ROOM = (errno.ENOBUFS, errno.ENOMEM)


def server(host, port):
    ls = listener(host, int(port), backlog=4096)
    sel = selectors.DefaultSelector()
    sel.register(ls, selectors.EVENT_READ, None)
    ready(ls)
    ended, want = 0, None
    conns = {}                 # socket -> [peer port, count, sha, first bytes]
    while want is None or ended < want:
        for key, _ in sel.select(timeout=1):
            if key.data is None:
                c, peer = ls.accept()
                sel.register(c, selectors.EVENT_READ, 1)
                conns[c] = [peer[1], 0, hashlib.sha256(), b""]
                continue
            c = key.fileobj
            st = conns[c]
            try:
                data = c.recv(65536)
            except OSError as e:
                say("recv-error", st[0], errname(e))
                data = b""
            if data:
                st[1] += len(data)
                st[2].update(data)
                if len(st[3]) < 16:
                    st[3] += data[:16]
                continue
            sel.unregister(c)
            c.close()
            del conns[c]
            if st[3].startswith(b"END "):
                want = int(st[3].split()[1])
            else:
                ended += 1
                say("conn", st[0], st[1], st[2].hexdigest())
    say("done", ended)


def room_error(what, e):
    if e.errno in ROOM:
        say("error", what, errname(e))
        return True
    say("bad-error", what, errname(e))
    return False


def client(host, port, nconn, nbytes):
    nconn, nbytes = int(nconn), int(nbytes)
    addr = (host, int(port))
    blob = os.urandom(nbytes + nconn)
    conns = []                 # [socket, data, offset, sha, failed]
    bad = 0
    for i in range(nconn):
        try:
            s = socket.socket(family(host), socket.SOCK_STREAM)
        except OSError as e:
            bad += not room_error("socket", e)
            continue
        try:
            s.connect(addr)
        except OSError as e:
            bad += not room_error("connect", e)
            s.close()
            continue
        # Distinct bytes on every connection: a byte delivered on the
        # wrong one changes two checksums.
        conns.append([s, blob[i:i + nbytes], 0, hashlib.sha256(), False])
    sizes = (65536, 1, 30000, 4093, 100000, 17, 8192)
    k = 0
    live = len(conns)
    while live:
        live = 0
        for c in conns:
            s, data, off, h, failed = c
            if failed or off >= nbytes:
                continue
            step = sizes[k % len(sizes)]
            k += 1
            try:
                n = s.send(data[off:off + step])
            except OSError as e:
                bad += not room_error("send", e)
                c[4] = True
                continue
            h.update(data[off:off + n])
            c[2] = off + n
            live += c[2] < nbytes
    full = failed = 0
    for s, data, off, h, f in conns:
        port = s.getsockname()[1]
        s.close()
        say("conn", port, off, h.hexdigest())
        full += off == nbytes
        failed += f
    # Tell the server how many connections to wait for.  Its own memory
    # comes back as it closes the finished ones: retry a while, on one
    # connection (a second one would reach the server as one more data
    # connection when the first had been made but could not send).
    deadline = time.monotonic() + 8
    msg, e = b"END %d\n" % len(conns), None
    while msg:
        try:
            if e is None:
                e = socket.create_connection(addr)
            msg = msg[e.send(msg):]
        except OSError as ex:
            if ex.errno not in ROOM or time.monotonic() > deadline:
                say("bad-error", "end", errname(ex))
                bad += 1
                break
            room_error("end", ex)   # counted with the others: the log has it too
            time.sleep(0.05)
    if e is not None:
        e.close()
    say("sent-all", full, "failed", failed, "bad", bad)


if __name__ == "__main__":
    {"server": server, "client": client}[sys.argv[1]](*sys.argv[2:])
