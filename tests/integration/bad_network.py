"""bad_network.py — run preloaded by bad_network.sh with an invalid
SIMNET_NETWORK: every AF_INET/AF_INET6 socket() must fail with ENETDOWN;
AF_UNIX still works."""
import errno
import socket

for fam, fname in ((socket.AF_INET, "inet"), (socket.AF_INET6, "inet6")):
    for typ, tname in ((socket.SOCK_STREAM, "stream"),
                       (socket.SOCK_DGRAM, "dgram")):
        try:
            s = socket.socket(fam, typ)
            print(fname, tname, "created fd", s.fileno())
        except OSError as e:
            print(fname, tname, errno.errorcode.get(e.errno, e.errno))
a, b = socket.socketpair()
a.sendall(b"unix ok")
print(b.recv(100).decode())
