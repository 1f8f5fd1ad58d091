"""epoll_pingpong.py PORT ROUNDS — one-byte ping-pong over a simulated TCP
connection whose server waits in epoll with maxevents=1 and a kernel pipe
in the set (as postgres' backends do).  The client gives up after 3 s
without an answer and prints "stall at round N"; the server prints
"rounds N" when done.  A wake-up lost between the library's look at its
sockets and the kernel wait shows as a stall."""
import os
import select
import socket
import sys

port, rounds = int(sys.argv[1]), int(sys.argv[2])
lsock = socket.socket()
lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lsock.bind(("127.0.0.1", port))
lsock.listen()
pid = os.fork()
if pid == 0:
    c = socket.create_connection(("127.0.0.1", port))
    c.settimeout(3)
    for i in range(rounds):
        c.sendall(b"x")
        try:
            if c.recv(1) != b"y":
                os._exit(3)
        except socket.timeout:
            print("stall at round", i, flush=True)
            os._exit(4)
    os._exit(0)
s, _ = lsock.accept()
s.setblocking(False)
r, w = os.pipe()
ep = select.epoll()
ep.register(r, select.EPOLLIN)
ep.register(s.fileno(), select.EPOLLIN)
done = 0
while done < rounds:
    for fd, _ in ep.poll(5, 1):
        if fd == s.fileno():
            try:
                d = s.recv(1)
            except BlockingIOError:
                continue
            if not d:
                sys.exit("server: the client went away at round %d" % done)
            s.sendall(b"y")
            done += 1
_, st = os.waitpid(pid, 0)
print("rounds", done, "client", os.waitstatus_to_exitcode(st), flush=True)
