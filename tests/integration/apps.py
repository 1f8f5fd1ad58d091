#!/usr/bin/env python3
"""apps.py — Python programs of the real-server scenarios (redis.sh,
nginx.sh, http_server.sh, asyncio_echo.sh, socat_fork.sh,
forking_server.sh, memcached.sh): standard-library servers and clients that use the
library the way applications do (asyncio and its epoll loop,
socketserver's fork per connection, urllib).

Usage: apps.py COMMAND ARGS...; every command prints what it saw on
stdout, one fact per line, flushed.  Servers print "ready PORT PID" once
they listen.  Exit status 0 only if everything it checked was right.
"""
import asyncio
import errno
import hashlib
import os
import signal
import socket
import socketserver
import sys
import threading
import time
import urllib.request

from common import errname, family, recv_exact, say, sha


# --------------------------------------------------------------------------
# urllib

def http_fetch(url, expect_sha="", expect_len=""):
    """GET URL with urllib; print status, length and sha256 of the body."""
    with urllib.request.urlopen(url, timeout=10) as r:
        body = r.read()
        status = r.status
    say("status", status, "len", len(body), "sha256", sha(body))
    ok = status == 200
    if expect_sha:
        ok = ok and sha(body) == expect_sha
    if expect_len:
        ok = ok and len(body) == int(expect_len)
    sys.exit(0 if ok else 1)


# --------------------------------------------------------------------------
# asyncio echo

def asyncio_echo_server(host, port, nconn):
    """asyncio.start_server: echo every connection until EOF; exit after
    NCONN connections have ended.  Reports per connection the byte count
    and sha256 of what it echoed."""
    nconn = int(nconn)

    async def main():
        done = asyncio.Event()
        ended = [0]

        async def handle(reader, writer):
            h = hashlib.sha256()
            n = 0
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                h.update(data)
                n += len(data)
                writer.write(data)
                await writer.drain()
            writer.close()
            await writer.wait_closed()
            ended[0] += 1
            say("conn-echoed", n, h.hexdigest())
            if ended[0] == nconn:
                done.set()

        server = await asyncio.start_server(handle, host, int(port))
        say("ready", server.sockets[0].getsockname()[1], os.getpid())
        await done.wait()
        server.close()
        await server.wait_closed()
        say("served", ended[0])

    asyncio.run(main())


def asyncio_echo_client(host, port, nconn, nbytes):
    """NCONN concurrent connections from one event loop; each sends NBYTES
    random bytes in irregular pieces (and a few text lines first, read
    back with readline), half-closes, and reads the echo until EOF."""
    nconn, nbytes = int(nconn), int(nbytes)

    async def one(i):
        reader, writer = await asyncio.open_connection(host, int(port))
        for k in range(3):
            line = ("conn %d line %d\n" % (i, k)).encode()
            writer.write(line)
            await writer.drain()
            back = await reader.readline()
            if back != line:
                return "line %d came back as %r" % (k, back)
        data = os.urandom(nbytes)

        async def send():
            off, sizes, k = 0, (7, 65536, 1, 300000, 4096), 0
            while off < len(data):
                step = sizes[k % len(sizes)]
                k += 1
                writer.write(data[off:off + step])
                await writer.drain()
                off += step
            writer.write_eof()

        sender = asyncio.ensure_future(send())
        got = await reader.read()          # until EOF
        await sender
        writer.close()
        await writer.wait_closed()
        if got != data:
            return "payload: sent %d bytes %s, got %d bytes %s" % (
                len(data), sha(data)[:16], len(got), sha(got)[:16])
        return "ok"

    async def main():
        return await asyncio.gather(*(one(i) for i in range(nconn)),
                                    return_exceptions=True)

    results = asyncio.run(main())
    good = sum(1 for r in results if r == "ok")
    say("correct", good, "of", nconn)
    for i, r in enumerate(results):
        if r != "ok":
            say("conn", i, "result", repr(r))
    sys.exit(0 if good == nconn else 1)


# --------------------------------------------------------------------------
# socketserver.ForkingTCPServer

class _Handler(socketserver.StreamRequestHandler):
    def handle(self):
        line = self.rfile.readline()
        self.wfile.write(("pid %d sha %s\n" % (os.getpid(), sha(line))).encode())


def forking_server(host, port):
    """ForkingTCPServer: each connection is handled in a child process,
    which answers the request line with its pid and the line's sha256."""
    class Server(socketserver.ForkingTCPServer):
        allow_reuse_address = True
        address_family = family(host)
        # The default backlog (5) cannot hold 50 simultaneous connects
        # while the server waits for children (it keeps at most
        # max_children = 40): connects beyond it would wait for SYN
        # retransmissions, on Linux as here.
        request_queue_size = 64

    with Server((host, int(port)), _Handler) as srv:
        say("ready", srv.server_address[1], os.getpid())
        srv.serve_forever()


def forking_clients(host, port, nclients, server_pid):
    """NCLIENTS threads connect at once (all connected before anyone
    sends), send one line each and check the answer: the right sha256,
    from a child process of the server (not the server itself), a
    different child for every client."""
    n = int(nclients)
    results = [None] * n
    barrier = threading.Barrier(n)

    def worker(i):
        try:
            s = socket.socket(family(host), socket.SOCK_STREAM)
            s.connect((host, int(port)))
            barrier.wait(timeout=10)
            line = ("client %d %s\n" % (i, os.urandom(8).hex())).encode()
            s.sendall(line)
            buf = bytearray()
            while not buf.endswith(b"\n"):
                c = s.recv(4096)
                if not c:
                    break
                buf += c
            s.close()
            parts = buf.decode().split()
            if len(parts) == 4 and parts[0] == "pid" and parts[2] == "sha" \
                    and parts[3] == sha(line):
                results[i] = int(parts[1])
            else:
                results[i] = "bad answer %r" % bytes(buf)
        except Exception as e:      # reported below
            results[i] = repr(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    pids = [r for r in results if isinstance(r, int)]
    say("correct", len(pids), "of", n)
    say("distinct-pids", len(set(pids)))
    say("server-pid-answered", int(int(server_pid) in pids))
    for i, r in enumerate(results):
        if not isinstance(r, int):
            say("client", i, "result", r)
    sys.exit(0 if len(pids) == n and len(set(pids)) == n
             and int(server_pid) not in pids else 1)


# --------------------------------------------------------------------------
# memcached's text protocol

def _mc_reply(f):
    """One reply of the text protocol: a line, or VALUE blocks up to END."""
    line = f.readline()
    if not line.startswith(b"VALUE "):
        return line.rstrip(b"\r\n"), {}
    values = {}
    while line.startswith(b"VALUE "):
        _, key, _flags, n = line.split()[:4]
        data = f.read(int(n) + 2)
        values[key.decode()] = data[:-2]
        line = f.readline()
    return line.rstrip(b"\r\n"), values


def memcache_client(host, port, nkeys):
    """Connect (retrying while the server starts), store NKEYS values of
    1 byte to 512 KiB, read each back and all at once, delete one, and
    print what the server counted.  Exit 0 only if every value came back
    byte for byte."""
    deadline = time.monotonic() + 5
    while True:
        try:
            s = socket.create_connection((host, int(port)))
            break
        except OSError as e:
            if time.monotonic() > deadline:
                say("connect-error", errname(e))
                sys.exit(1)
            time.sleep(0.05)
    f = s.makefile("rb")
    sizes = [1, 100, 4096, 65536, 524288]
    stored = {}
    for i in range(int(nkeys)):
        key = "simnet:%d" % i
        value = os.urandom(sizes[i % len(sizes)] // 2).hex().encode()[:sizes[i % len(sizes)]]
        s.sendall(b"set %s %d 0 %d\r\n%s\r\n" % (key.encode(), i, len(value), value))
        r, _ = _mc_reply(f)
        if r != b"STORED":
            say("set", key, "answered", r)
            sys.exit(1)
        stored[key] = value
    bad = 0
    for key, value in stored.items():
        s.sendall(b"get %s\r\n" % key.encode())
        r, got = _mc_reply(f)
        bad += r != b"END" or got.get(key) != value
    s.sendall(b"get %s\r\n" % " ".join(stored).encode())
    r, got = _mc_reply(f)
    bad += got != stored
    s.sendall(b"delete simnet:0\r\nget simnet:0\r\n")
    deleted, _ = _mc_reply(f)
    r, gone = _mc_reply(f)
    say("stored", len(stored), "bytes", sum(map(len, stored.values())),
        "sha256", sha(b"".join(stored[k] for k in sorted(stored))))
    say("mismatches", bad)
    say("delete", deleted.decode(), "then-get", "hit" if gone else "miss")
    s.sendall(b"stats\r\n")
    stats = {}
    while True:
        line = f.readline().rstrip(b"\r\n").decode()
        if line == "END" or not line:
            break
        parts = line.split()
        stats[parts[1]] = parts[2]
    say("server-pid", stats.get("pid"), "cmd_set", stats.get("cmd_set"),
        "get_hits", stats.get("get_hits"))
    s.close()
    sys.exit(0 if bad == 0 and deleted == b"DELETED" and not gone else 1)


COMMANDS = {f.__name__.replace("_", "-"): f for f in (
    http_fetch, asyncio_echo_server, asyncio_echo_client, forking_server,
    forking_clients, memcache_client)}

if __name__ == "__main__":
    # Last resort if the driver itself is killed: never outlive it long.
    signal.alarm(60)
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit("usage: apps.py {%s} ARGS..." % ",".join(COMMANDS))
    COMMANDS[sys.argv[1]](*sys.argv[2:])
