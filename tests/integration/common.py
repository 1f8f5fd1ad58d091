"""common.py — helpers shared by the Python programs of the integration
scenarios (peers.py, apps.py, lifecycle.py)."""
import errno
import hashlib
import os
import socket


def say(*args):
    """One fact per line on stdout, flushed: the driver waits for lines."""
    print(*args, flush=True)


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def errname(e):
    return errno.errorcode.get(e.errno, str(e.errno)) if e.errno else repr(e)


def sha(b):
    return hashlib.sha256(b).hexdigest()


def recv_exact(s, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("EOF after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return bytes(buf)


def recv_line(s):
    buf = bytearray()
    while not buf.endswith(b"\n"):
        c = s.recv(1)
        if not c:
            break
        buf += c
    return bytes(buf)


def listener(host, port, reuse=True, backlog=128):
    s = socket.socket(family(host), socket.SOCK_STREAM)
    if reuse:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, int(port)))
    s.listen(backlog)
    return s


def ready(s):
    """Servers say "ready PORT PID" once they listen."""
    say("ready", s.getsockname()[1], os.getpid())


def echo_until_eof(c):
    """Echo everything until EOF, half-close, close; return (n, sha256)."""
    h = hashlib.sha256()
    n = 0
    while True:
        data = c.recv(65536)
        if not data:
            break
        h.update(data)
        n += len(data)
        c.sendall(data)
    c.shutdown(socket.SHUT_WR)
    c.close()
    return n, h.hexdigest()
