"""fd_base.py — run preloaded by fd_base.sh: print the fd numbers of
simulated sockets (created, accepted) and of non-socket fds, and check
that the simulated sockets work."""
import os
import socket

ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
ls.bind(("127.0.0.1", 0))
ls.listen(1)
c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
c.connect(ls.getsockname())
a, _ = ls.accept()
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
u.bind(("::1", 0))
u.sendto(b"dgram", u.getsockname())
c.sendall(b"stream")
ok = a.recv(100) == b"stream" and u.recv(100) == b"dgram"
print("listener", ls.fileno())
print("client", c.fileno())
print("accepted", a.fileno())
print("udp6", u.fileno())
fd = os.open("/dev/null", os.O_RDONLY)
print("file", fd)
p, q = socket.socketpair()
print("unix", p.fileno())
print("works" if ok else "BROKEN")
