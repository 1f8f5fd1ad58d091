#!/usr/bin/env python3
"""fork_kill.py ROUNDS PORT SEED BUDGET_S — the driver of fork_kill.sh.

Each round the driver (preloaded) forks a server that listens on PORT
and forks a handler per connection, the way socketserver.ForkingTCPServer
does (the handler keeps the listener, as ForkingMixIn's children do, and
exits when its client goes away).  The driver keeps connecting, so the
server is forking most of the time, then kills it after a random 0-6 ms
with SIGTERM or SIGKILL (alternately) -- often inside fork(), after the
library reserved the child's process entry (without the fix for that,
the port stayed taken within the first few rounds).  It closes its clients (the
orphaned handlers then see EOF and exit) and binds PORT itself: the bind
must succeed within 2 s every round.

Prints "rounds N", "with-clients N" (rounds in which clients were
connecting when the server was killed), "max-rebind-ms X" and "elapsed
S"; exit status 1 with "stuck round R ..." if the port stayed taken.
"""
import os
import random
import signal
import socket
import sys
import time


def server(port, wfd):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(64)
    os.write(wfd, b"r")
    os.close(wfd)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)   # no zombies to reap
    while True:
        c, _ = ls.accept()
        if os.fork() == 0:
            try:
                while c.recv(64):
                    pass
            finally:
                os._exit(0)
        c.close()


def try_bind(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
        s.listen(1)
        return True
    except OSError:
        return False
    finally:
        s.close()


def main(rounds, port, seed, budget):
    rnd = random.Random(seed)
    t0 = time.monotonic()
    worst = 0.0
    accepted_rounds = 0
    for r in range(rounds):
        rfd, wfd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(rfd)
            try:
                server(port, wfd)
            finally:
                os._exit(1)
        os.close(wfd)
        if os.read(rfd, 1) != b"r":
            print("round %d: the server did not start" % r, flush=True)
            return 1
        os.close(rfd)
        clients = []
        deadline = time.monotonic() + rnd.uniform(0, 0.006)
        while time.monotonic() < deadline:
            if len(clients) >= 30:
                time.sleep(0.0002)
                continue
            c = socket.socket()
            c.setblocking(False)
            try:
                c.connect(("127.0.0.1", port))
            except BlockingIOError:
                pass
            except OSError:
                c.close()
                continue
            clients.append(c)
            time.sleep(0.0002)
        os.kill(pid, signal.SIGTERM if r % 2 == 0 else signal.SIGKILL)
        os.waitpid(pid, 0)
        if clients:
            accepted_rounds += 1
        for c in clients:
            c.close()
        t1 = time.monotonic()
        while not try_bind(port):
            if time.monotonic() - t1 > 2.0:
                print("stuck round %d: port %d still taken 2 s after the "
                      "server was killed (%s)" %
                      (r, port, "SIGTERM" if r % 2 == 0 else "SIGKILL"),
                      flush=True)
                return 1
            time.sleep(0.002)
        worst = max(worst, time.monotonic() - t1)
        if time.monotonic() - t0 > budget:
            print("over budget after %d rounds" % (r + 1), flush=True)
            return 1
    print("rounds %d" % rounds)
    print("with-clients %d" % accepted_rounds)
    print("max-rebind-ms %.1f" % (worst * 1000))
    print("elapsed %.1f" % (time.monotonic() - t0), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]),
                  float(sys.argv[4])))
