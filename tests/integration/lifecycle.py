#!/usr/bin/env python3
"""lifecycle.py — programs of the process-lifecycle scenarios
(random_kill.sh, closerange.sh, setuid_nobody.sh, inetd_cat.sh,
scm_rights.sh, idle_cpu.sh): processes that die at random moments, close
every descriptor, change user, hand sockets to cat or to an unrelated
process, or sit idle in a blocking call.

Usage: lifecycle.py COMMAND ARGS...; every command prints what it saw on
stdout, one fact per line, flushed.  Servers print "ready PORT PID" once
they listen.  Exit status 0 only if everything it checked was right.
"""
import errno
import os
import random
import resource
import select
import selectors
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

from common import echo_until_eof, errname, family, listener, say


def hold_client(host, port):
    """Connect, then block in recv until the other end goes away; report
    how (eof / error ENAME)."""
    s = socket.socket(family(host), socket.SOCK_STREAM)
    s.connect((host, int(port)))
    say("connected", s.getsockname()[1])
    try:
        data = s.recv(100)
        what = "eof" if data == b"" else "data %r" % data
    except OSError as e:
        what = "error " + errname(e)
    say("woke", what)
    s.close()


# --------------------------------------------------------------------------
# Random SIGKILLs

NOW = time.monotonic_ns
DEAD_ENDS = ("eof", "ECONNRESET", "EPIPE", "ECONNREFUSED")


def _linux_end(how, where):
    """Could Linux end a client's exchange this way when its server dies?
    recv: EOF or ECONNRESET (never EPIPE: a FIN makes it EOF); send:
    ECONNRESET or EPIPE; connect: ECONNREFUSED (listener gone) or
    ECONNRESET."""
    w = where.split("/")[0]
    if w == "recv":
        return how in ("eof", "ECONNRESET")
    if w in ("send", "send-id"):
        return how in ("ECONNRESET", "EPIPE")
    if w == "connect":
        return how in ("ECONNREFUSED", "ECONNRESET")
    return False


def _report(fd, *words):
    # One write per line, shorter than PIPE_BUF: lines never interleave.
    os.write(fd, (" ".join(str(w) for w in words) + "\n").encode())


def _rk_server(rnd, port, rep, stop_fd):
    """Event-loop echo server (selectors: epoll).  Connections start with
    a one-byte client id.  Reports "end ID HOW T" for every connection
    that ends, and exits cleanly when stop_fd becomes readable (EOF)."""
    ls = listener("127.0.0.1", port)
    ls.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(ls, selectors.EVENT_READ, "listen")
    sel.register(stop_fd, selectors.EVENT_READ, "stop")
    conns = {}                                  # sock -> [id, pending out]
    _report(rep, rnd, "S", "ready", 0, NOW())

    def end(c, how):
        ident = conns.pop(c)[0]
        sel.unregister(c)
        c.close()
        _report(rep, rnd, "S", "end", ident, how, NOW())

    while True:
        for key, mask in sel.select():
            what = key.data
            if what == "stop":
                for c in list(conns):
                    sel.unregister(c)
                    c.close()
                sel.unregister(ls)
                ls.close()
                _report(rep, rnd, "S", "stopped", 0, NOW())
                return
            if what == "listen":
                try:
                    c, _ = ls.accept()
                except BlockingIOError:
                    continue
                c.setblocking(False)
                conns[c] = ["?", bytearray()]
                sel.register(c, selectors.EVENT_READ, "conn")
                continue
            c = key.fileobj
            st = conns.get(c)
            if st is None:
                continue
            try:
                if mask & selectors.EVENT_READ:
                    data = c.recv(65536)
                    if not data:
                        end(c, "eof")
                        continue
                    if st[0] == "?":
                        st[0] = data[:1].decode()
                        data = data[1:]
                    st[1] += data
                if st[1]:
                    n = c.send(st[1])
                    del st[1][:n]
                sel.modify(c, selectors.EVENT_READ |
                           (selectors.EVENT_WRITE if st[1] else 0), "conn")
            except BlockingIOError:
                pass
            except OSError as e:
                end(c, errname(e))


def _rk_client(rnd, ident, port, rep, stop_fd, seed):
    """Connect, send the id byte, then exchange random chunks (send, read
    the echo back, compare) until stop_fd becomes readable.  Reports
    "connected" and then exactly one "end HOW T"."""
    rng = random.Random(seed)
    stop = select.poll()
    stop.register(stop_fd, select.POLLIN)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    how, where, n = "done", "-", 0
    try:
        where = "connect"
        s.connect(("127.0.0.1", port))
        where = "send-id"
        s.sendall(str(ident).encode())
        _report(rep, rnd, "C%d" % ident, "connected", 0, NOW())
        while not stop.poll(0):
            chunk = rng.randbytes(rng.randint(1, 16384))
            where = "send"
            s.sendall(chunk)
            where = "recv"
            n += 1
            got = bytearray()
            while len(got) < len(chunk):
                b = s.recv(len(chunk) - len(got))
                if not b:
                    break
                got += b
            if not got or len(got) < len(chunk):
                how = "eof"
                break
            if got != chunk:
                how = "corrupt"
                break
    except OSError as e:
        how = errname(e)
        if how not in DEAD_ENDS:
            # Unexpected: what does the socket say right after?
            try:
                then = s.recv(1, socket.MSG_DONTWAIT)
                then = "eof" if then == b"" else "data"
            except OSError as e2:
                then = errname(e2)
            where += "/then:" + then
    # (where: the call that saw the end; n: exchanges started)
    _report(rep, rnd, "C%d" % ident, "end", 0, how, NOW(), where, n)
    s.close()


def _child(fn, *args):
    signal.alarm(30)        # never outlive a stuck driver long
    code = 1
    try:
        fn(*args)
        code = 0
    except BaseException as e:       # noqa: reported through stdout
        say("child-exception", os.getpid(), repr(e))
    finally:
        os._exit(code)


class _Events:
    """Lines from the children's report pipe, by round."""

    def __init__(self, fd):
        self.fd = fd
        self.buf = b""
        self.lines = []
        self.poll = select.poll()
        self.poll.register(fd, select.POLLIN)

    def pump(self, timeout_ms):
        if self.poll.poll(max(0, int(timeout_ms))):
            self.buf += os.read(self.fd, 65536)
            *full, self.buf = self.buf.split(b"\n")
            for line in full:
                w = line.decode().split()
                self.lines.append(w)

    def find(self, rnd, who, event, deadline_ns, pred=None):
        """First line of (rnd, who, event) matching pred, waiting until
        deadline_ns (monotonic) at most."""
        while True:
            for w in self.lines:
                if w[0] == str(rnd) and w[1] == who and w[2] == event \
                        and (pred is None or pred(w)):
                    return w
            left = (deadline_ns - NOW()) // 1000000
            if left < 0:
                return None
            self.pump(min(left, 50) + 1)

    def drain(self):
        self.pump(0)
        while self.poll.poll(0):
            self.pump(0)


def _try_bind(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
        s.listen(8)
        return s, "ok"
    except OSError as e:
        s.close()
        return None, errname(e)


def _rebind_within(port, since_ns, limit_ns):
    """Bind+listen PORT (SO_REUSEADDR) as soon as possible; return the
    delay since since_ns, or None if it still fails at since+limit."""
    while True:
        s, res = _try_bind(port)
        if s:
            t = NOW()
            s.close()
            return t - since_ns, res
        if NOW() - since_ns > limit_ns:
            return None, res
        time.sleep(0.002)


def random_kill(port, rounds, seed, budget_s):
    """ROUNDS rounds, each: fork a fresh server and 1-3 clients exchanging
    data, sleep a random 0-20 ms, SIGKILL one of them at random, then
    check that (a) whoever had a connection with it sees EOF/ECONNRESET
    (or EPIPE/ECONNREFUSED) within 1 s, (b) everyone else is unaffected,
    (c) the port can be bound again (SO_REUSEADDR) within 1 s of the
    server being gone (killed, or stopped after the round).  All
    processes are forked from this one, which is preloaded too."""
    port, rounds, budget = int(port), int(rounds), float(budget_s)
    rng = random.Random(int(seed))
    rep_r, rep_w = os.pipe()
    ev = _Events(rep_r)
    t_start = NOW()
    SEC = 1000000000
    stats = {"S": 0, "C": 0, "detect_max": 0, "rebind_max": 0,
             "seen_dead": 0, "unconnected_victims": 0}
    alive = []

    def die(rnd, msg):
        say("FAIL round %d: %s" % (rnd, msg))
        for w in ev.lines:
            if w[0] == str(rnd):
                say("  event", " ".join(w))
        # Where the survivors are stuck, and what the network holds.
        for p in alive:
            for what in ("wchan", "syscall"):
                try:
                    with open("/proc/%d/%s" % (p, what)) as f:
                        say("  pid", p, what, f.read().strip())
                except OSError:
                    pass
        inspect = os.environ.get("SIMNET_INSPECT")
        if inspect:
            env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
            r = subprocess.run([inspect, "show", os.environ["SIMNET_DIR"],
                                os.environ["SIMNET_NETWORK"]], env=env,
                               capture_output=True, text=True)
            for line in r.stdout.splitlines():
                say("  ", line)
        for p in alive:
            try:
                os.kill(p, signal.SIGKILL)
                os.waitpid(p, 0)
            except OSError:
                pass
        sys.exit(1)

    for rnd in range(rounds):
        if NOW() - t_start > budget * SEC:
            die(rnd, "over the time budget of %s s after %d rounds" % (budget_s, rnd))
        cstop_r, cstop_w = os.pipe()
        sstop_r, sstop_w = os.pipe()
        spid = os.fork()
        if spid == 0:
            os.close(cstop_w)
            os.close(sstop_w)
            _child(_rk_server, rnd, port, rep_w, sstop_r)
        alive = [spid]
        if not ev.find(rnd, "S", "ready", NOW() + 2 * SEC):
            die(rnd, "server not ready within 2 s")
        nclients = rng.randint(1, 3)
        cpids = {}
        for i in range(nclients):
            pid = os.fork()
            if pid == 0:
                os.close(cstop_w)
                os.close(sstop_w)
                _child(_rk_client, rnd, i, port, rep_w, cstop_r,
                       rng.random())
            cpids["C%d" % i] = pid
            alive.append(pid)
        os.close(cstop_r)
        os.close(sstop_r)

        time.sleep(rng.uniform(0, 0.020))
        victim = rng.choice(["S"] + sorted(cpids))
        vpid = spid if victim == "S" else cpids[victim]
        t_kill = NOW()
        os.kill(vpid, signal.SIGKILL)
        _, st = os.waitpid(vpid, 0)
        alive.remove(vpid)
        if not (os.WIFSIGNALED(st) and os.WTERMSIG(st) == signal.SIGKILL):
            die(rnd, "victim %s did not die of SIGKILL (status %#x)" % (victim, st))
        # Whatever it reported before dying is in the pipe now.
        ev.drain()

        if victim == "S":
            stats["S"] += 1
            # (c) first, while the clients are noticing: the port is free.
            dt, res = _rebind_within(port, t_kill, SEC)
            if dt is None:
                die(rnd, "port %d not bindable within 1 s of killing the server: %s" % (port, res))
            stats["rebind_max"] = max(stats["rebind_max"], dt)
            # (a) every client sees the server's death within 1 s.
            for c in sorted(cpids):
                w = ev.find(rnd, c, "end", t_kill + SEC)
                if not w:
                    die(rnd, "client %s did not notice the server's death within 1 s" % c)
                how, t, where = w[4], int(w[5]), w[6]
                if not _linux_end(how, where):
                    die(rnd, "client %s's %s ended with '%s' after the server was killed" % (c, where, how))
                stats["detect_max"] = max(stats["detect_max"], t - t_kill)
                stats["seen_dead"] += 1
            os.close(cstop_w)
            os.close(sstop_w)
        else:
            stats["C"] += 1
            connected = ev.find(rnd, victim, "connected", 0)
            if connected:
                # (a) the server sees this connection end within 1 s.
                w = ev.find(rnd, "S", "end", t_kill + SEC,
                            lambda w: w[3] == victim[1:])
                if not w:
                    die(rnd, "server did not notice client %s's death within 1 s" % victim)
                how, t = w[4], int(w[5])
                if how not in DEAD_ENDS:
                    die(rnd, "server saw client %s end with '%s'" % (victim, how))
                stats["detect_max"] = max(stats["detect_max"], t - t_kill)
                stats["seen_dead"] += 1
            else:
                stats["unconnected_victims"] += 1
            # Control: the live server still owns the port.
            s, res = _try_bind(port)
            if s:
                s.close()
                die(rnd, "port %d could be bound while the server listens" % port)
            if res != "EADDRINUSE":
                die(rnd, "binding the live server's port failed with %s, not EADDRINUSE" % res)
            # (b) the other clients were not disturbed: stop them, each
            # ends "done"; then the server saw each of them end with EOF.
            os.close(cstop_w)
            for c in sorted(cpids):
                if c == victim:
                    continue
                # 3 s: a live client finishes its exchange first, and on
                # a loaded 2-core machine that took over 1 s once.
                w = ev.find(rnd, c, "end", NOW() + 3 * SEC)
                if not w:
                    die(rnd, "client %s (not killed) still busy 3 s after being told to stop" % c)
                if w[4] != "done":
                    die(rnd, "client %s (not killed) ended with %s at %s" % (c, w[4], w[6]))
                _, st = os.waitpid(cpids[c], 0)
                alive.remove(cpids[c])
                if st != 0:
                    die(rnd, "client %s exited with status %#x" % (c, st))
                if not ev.find(rnd, "S", "end", NOW() + SEC,
                               lambda w, c=c: w[3] == c[1:] and w[4] == "eof"):
                    die(rnd, "server did not see client %s's close as EOF" % c)
            os.close(sstop_w)
            if not ev.find(rnd, "S", "stopped", NOW() + SEC):
                die(rnd, "server did not stop")
            _, st = os.waitpid(spid, 0)
            alive.remove(spid)
            if st != 0:
                die(rnd, "server exited with status %#x" % st)
            # (c) a fresh server binds the port within 1 s.
            dt, res = _rebind_within(port, NOW(), SEC)
            if dt is None:
                die(rnd, "port %d not bindable within 1 s of the server's exit: %s" % (port, res))
            stats["rebind_max"] = max(stats["rebind_max"], dt)
        for p in list(alive):
            _, st = os.waitpid(p, 0)
            alive.remove(p)
            if st != 0:
                die(rnd, "a surviving process (pid %d) exited with status %#x" % (p, st))
        ev.drain()
        for w in ev.lines:
            if w[0] == str(rnd) and w[2] == "end" and w[4] == "corrupt":
                die(rnd, "%s received corrupted data" % w[1])
        ev.lines = [w for w in ev.lines if w[0] != str(rnd)]

    say("rounds", rounds, "server-killed", stats["S"], "client-killed", stats["C"],
        "unconnected-victims", stats["unconnected_victims"])
    say("deaths-seen", stats["seen_dead"],
        "detect-max-ms", "%.1f" % (stats["detect_max"] / 1e6),
        "rebind-max-ms", "%.1f" % (stats["rebind_max"] / 1e6),
        "total-s", "%.1f" % ((NOW() - t_start) / 1e9))


# --------------------------------------------------------------------------
# Closing every descriptor

_KEEP = []


def _open_fds(top=2048):
    """Open descriptors below TOP (fstat: opens nothing itself)."""
    fds = []
    for fd in range(top):
        try:
            os.fstat(fd)
            fds.append(fd)
        except OSError:
            pass
    return fds


def closing_server(host, port, scratch_port, mode):
    """Make the serving listener, a scratch listener and a scratch
    connection (whose client, another process, waits for EOF); then close
    every descriptor but the serving listener: MODE "closerange" moves the
    listener to fd 1500 and calls os.closerange(3, 1024); MODE
    "close-loop" calls os.close on every fd 3..1023 but the listener's.
    Then: the scratch port can be bound again, a new socket connects and
    talks, and the listener serves one client (echo until EOF)."""
    ls = listener(host, port)
    scratch = listener(host, scratch_port)
    say("ready", port, os.getpid())
    a, _ = scratch.accept()
    say("scratch-accepted")
    # Wait on the scratch connection with poll and with epoll first, so
    # that the library has descriptors of its own open (doorbells, pidfds
    # of the peer process) when they are all closed under it.
    p = select.poll()
    p.register(a, select.POLLIN)
    ep = select.epoll()
    ep.register(a.fileno(), select.EPOLLIN)
    say("waits-before", p.poll(0), ep.poll(0))
    _KEEP.append(ep)            # its fd is closed below, never by Python
    before = _open_fds()
    # Detach the Python objects: they must not close those numbers later.
    scratch.detach()
    a.detach()
    if mode == "closerange":
        lfd = os.dup2(ls.detach(), 1500)
        os.closerange(3, 1024)
    elif mode == "close-loop":
        lfd = ls.detach()
        for fd in range(3, 1024):
            if fd != lfd:
                try:
                    os.close(fd)
                except OSError:
                    pass
    else:
        sys.exit("unknown mode " + mode)
    after = _open_fds()
    say("fds-before", ",".join(map(str, before)))
    say("fds-after", ",".join(map(str, after)))
    say("closed")
    ls = socket.socket(fileno=lfd)
    say("listener-fd", ls.fileno(), "family-ok",
        int(ls.family == family(host) and ls.type == socket.SOCK_STREAM))
    # The scratch listener is really gone: its port binds again.
    try:
        again = listener(host, scratch_port)
        say("scratch-rebind ok")
    except OSError as e:
        say("scratch-rebind", errname(e))
        sys.exit(1)
    # New sockets work.
    c = socket.socket(family(host), socket.SOCK_STREAM)
    c.connect((host, int(scratch_port)))
    b, _ = again.accept()
    c.sendall(b"after close\n")
    say("new-socket", "ok" if b.recv(100) == b"after close\n" else "BROKEN")
    for x in (b, c, again):
        x.close()
    # Waiting works after the library lost its descriptors: poll for the
    # client's connection, epoll for its first bytes.
    p = select.poll()
    p.register(ls, select.POLLIN)
    say("poll-listener", p.poll(5000))
    conn, peer = ls.accept()
    ep = select.epoll()
    ep.register(conn.fileno(), select.EPOLLIN)
    say("epoll-conn", [m for _, m in ep.poll(5.0)])
    ep.close()
    n, h = echo_until_eof(conn)
    ls.close()
    say("served", n, h)


# --------------------------------------------------------------------------
# setuid after start

def setuid_server(host, port, uid, root_port):
    """A root process that has made no socket yet drops to UID/GID, then
    listens and serves one client (echo), then connects out to a server
    run by root on ROOT_PORT."""
    if os.getuid() != 0:
        say("not-root", os.getuid())
        sys.exit(1)
    uid = int(uid)
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    say("uid", os.getuid(), os.geteuid(), "gid", os.getgid(), os.getegid())
    try:
        ls = listener(host, port)
    except OSError as e:
        say("listen-error", errname(e))
        sys.exit(1)
    say("ready", port, os.getpid())
    conn, peer = ls.accept()
    n, h = echo_until_eof(conn)
    ls.close()
    say("served", n, h)
    s = socket.socket(family(host), socket.SOCK_STREAM)
    s.connect((host, int(root_port)))
    banner = s.recv(100)
    s.sendall(b"from-nobody\n")
    say("outgoing", banner.decode().strip(), s.recv(100).decode().strip())
    s.close()


# --------------------------------------------------------------------------
# inetd: the accepted socket becomes cat's stdin and stdout

def inetd_server(host, port, nconn):
    """Accept NCONN connections; for each, run cat with the socket as its
    stdin and stdout and close our copy at once.  Then wait for the cats."""
    ls = listener(host, port)
    say("ready", port, os.getpid())
    kids = []
    for _ in range(int(nconn)):
        c, _ = ls.accept()
        p = subprocess.Popen(["cat"], stdin=c, stdout=c, close_fds=True)
        c.close()
        kids.append(p)
        say("spawned", p.pid)
    ls.close()
    bad = 0
    for p in kids:
        rc = p.wait()
        say("cat-exit", p.pid, rc)
        bad += rc != 0
    sys.exit(1 if bad else 0)


# --------------------------------------------------------------------------
# SCM_RIGHTS to an unrelated process

def scm_sender(host, port, unix_path, nconn):
    """Accept NCONN connections and pass each over the AF_UNIX socket
    UNIX_PATH (served by an unrelated process) with SCM_RIGHTS, closing
    our copy at once; exit when all are passed."""
    ls = listener(host, port)
    u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    u.connect(unix_path)
    say("ready", port, os.getpid())
    for i in range(int(nconn)):
        c, peer = ls.accept()
        socket.send_fds(u, [b"%d %d\n" % (i, peer[1])], [c.fileno()])
        c.close()
        say("passed", i, peer[1])
    ls.close()
    u.close()
    say("sender-done", time.monotonic_ns())


def scm_receiver(unix_path, nconn, go):
    """Listen on UNIX_PATH; receive NCONN sockets from the sender, the
    first only once the file GO exists (the driver makes it when the
    sender has passed every socket, closed its copies and exited), and
    serve each (echo until EOF) in a thread."""
    u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    u.bind(unix_path)
    u.listen(1)
    say("ready-unix", os.getpid())
    a, _ = u.accept()
    deadline = time.monotonic() + 15
    while not os.path.exists(go) and time.monotonic() < deadline:
        time.sleep(0.01)
    results = []
    threads = []

    def serve(i, c, want_port):
        try:
            peer = c.getpeername()
            n, h = echo_until_eof(c)
            results.append((i, peer[0], peer[1] == want_port, n, h))
        except OSError as e:
            results.append((i, "error", errname(e), 0, ""))

    for i in range(int(nconn)):
        msg, fds, _, _ = socket.recv_fds(a, 100, 1)
        if i == 0:
            say("first-received", time.monotonic_ns())
        if len(fds) != 1:
            say("no-fd", i, msg)
            sys.exit(1)
        idx, cport = map(int, msg.split())
        c = socket.socket(fileno=fds[0])
        say("received", idx, "fd", fds[0], "family-ok",
            int(c.family == socket.AF_INET and c.type == socket.SOCK_STREAM))
        t = threading.Thread(target=serve, args=(idx, c, cport))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    for r in sorted(results):
        say("served", *r)
    a.close()
    u.close()


# --------------------------------------------------------------------------
# CPU use of a process blocked for 1 s

IDLE_MODES = ("recv", "recv-rcvtimeo", "accept", "poll", "poll-timeout",
              "select", "epoll", "epoll-timeout")


def idle_partner(host, port, listen_port):
    """Serve the waiter: for each "go MODE" line, sleep 1 s and then wake
    it (send a byte, or connect to LISTEN_PORT for accept); for the
    timeout modes, do nothing."""
    ls = listener(host, port)
    say("ready", port, os.getpid())
    c, _ = ls.accept()
    f = c.makefile("rb")
    keep = []
    for line in f:
        mode = line.decode().split()[1]
        if mode.endswith("timeout") or mode == "recv-rcvtimeo":
            continue
        time.sleep(1.0)
        if mode == "accept":
            s = socket.socket(family(host), socket.SOCK_STREAM)
            s.connect((host, int(listen_port)))
            keep.append(s)
        else:
            c.sendall(b"x")
    say("partner-done")


def _cpu_ns():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return int((r.ru_utime + r.ru_stime) * 1e9)


def _proc_cpu_ticks():
    with open("/proc/self/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])     # utime + stime


def idle_waiter(host, port, listen_port, *modes):
    """Connect to the partner; for each MODE block for about 1 s in that
    call and report wall time and CPU time (getrusage, all threads; and
    /proc/self/stat ticks) spent blocked."""
    s = socket.socket(family(host), socket.SOCK_STREAM)
    s.connect((host, int(port)))
    ls = listener(host, listen_port)
    hz = os.sysconf("SC_CLK_TCK")
    for mode in modes or IDLE_MODES:
        if mode == "recv-rcvtimeo":
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO,
                         struct.pack("ll", 1, 0))
        if mode.startswith("poll"):
            p = select.poll()
            p.register(s, select.POLLIN)
        if mode.startswith("epoll"):
            ep = select.epoll()
            ep.register(s.fileno(), select.EPOLLIN)
        s.sendall(("go %s\n" % mode).encode())
        c0, k0, t0 = _cpu_ns(), _proc_cpu_ticks(), NOW()
        if mode == "recv":
            res = "data:" + s.recv(1).decode()
        elif mode == "recv-rcvtimeo":
            try:
                res = "data:" + s.recv(1).decode()
            except OSError as e:
                res = "error:" + errname(e)
        elif mode == "accept":
            a, _ = ls.accept()
            res = "accepted"
        elif mode.startswith("poll"):
            ev = p.poll(-1 if mode == "poll" else 1000)
            res = "events:" + (",".join("%d=%#x" % (f == s.fileno(), m)
                                        for f, m in ev) or "none")
        elif mode == "select":
            r = select.select([s], [], [])[0]
            res = "readable:" + ("sock" if r == [s] else repr(r))
        elif mode.startswith("epoll"):
            ev = ep.poll(-1 if mode == "epoll" else 1.0)
            res = "events:" + (",".join("%d=%#x" % (f == s.fileno(), m)
                                        for f, m in ev) or "none")
        else:
            sys.exit("unknown mode " + mode)
        c1, k1, t1 = _cpu_ns(), _proc_cpu_ticks(), NOW()
        if mode in ("poll", "select", "epoll"):
            res += "+data:" + s.recv(1).decode()
        if mode == "accept":
            a.close()
        if mode == "recv-rcvtimeo":
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO,
                         struct.pack("ll", 0, 0))
        if mode.startswith("epoll"):
            ep.close()
        say("mode", mode, "wall-ms", (t1 - t0) // 1000000,
            "cpu-ms", (c1 - c0) // 1000000,
            "stat-ms", (k1 - k0) * 1000 // hz, "result", res)
    s.close()
    ls.close()


COMMANDS = {f.__name__.replace("_", "-"): f for f in (
    hold_client, random_kill, closing_server, setuid_server, inetd_server,
    scm_sender, scm_receiver, idle_partner, idle_waiter)}

if __name__ == "__main__":
    # Last resort if the driver itself is killed: never outlive it long.
    signal.alarm(60)
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit("usage: lifecycle.py {%s} ARGS..." % ",".join(COMMANDS))
    COMMANDS[sys.argv[1]](*sys.argv[2:])
