"""Two hosts, one probe: run once with `server A4 A6` on host A and once
with `client A4 A6 B4 B6` on host B.  Each prints what it observes; the
outputs are the same whether A and B are two network namespaces joined by
a veth pair (the kernel) or two libsimnet hosts (tests/integration/
two_hosts_diff.sh compares them).  Ephemeral ports are left out of the
output; fixed ports are printed."""
import errno
import socket
import sys

P = 6379   # bound on 127.0.0.1 on both hosts
W = 7000   # a wildcard listener on A
IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)   # Linux value
U = 7002   # a UDP socket on A


def ip(addr):
    return addr[0]


def err(e):
    return errno.errorcode.get(e.errno, str(e.errno))


def listener(fam, addr, port):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(8)
    return s


def server(a4, a6):
    lo = listener(socket.AF_INET, "127.0.0.1", P)
    wild = listener(socket.AF_INET6, "::", W)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
    u.bind(("0.0.0.0", U))
    print("A ready", flush=True)
    for _ in range(2):                  # one over IPv4, one over IPv6
        c, peer = wild.accept()
        print("A accepted on %s from %s" % (ip(c.getsockname()), ip(peer)), flush=True)
        c.sendall(b"hello from A\n")
        c.close()
    data, anc, _, frm = u.recvmsg(100, socket.CMSG_SPACE(12))
    dst = "?"
    for level, typ, d in anc:
        if level == socket.IPPROTO_IP and typ == IP_PKTINFO:
            dst = socket.inet_ntoa(d[8:12])
    print("A udp %r from %s to %s" % (data, ip(frm), dst), flush=True)
    u.sendto(b"pong", frm)
    lo.close()


def connect(fam, addr, port):
    c = socket.socket(fam, socket.SOCK_STREAM)
    try:
        c.connect((addr, port))
    except OSError as e:
        c.close()
        return None, err(e)
    return c, "ok"


def client(a4, a6, b4, b6):
    own = listener(socket.AF_INET, "127.0.0.1", P)
    print("B bound 127.0.0.1:%d too" % P)
    c, r = connect(socket.AF_INET, "127.0.0.1", P)
    s, peer = own.accept()
    print("B own loopback: %s, local %s, server saw %s" % (r, ip(c.getsockname()), ip(peer)))
    c.close(), s.close()
    c, r = connect(socket.AF_INET, a4, P)
    print("B to A's address port %d (A's loopback only): %s" % (P, r))
    for fam, addr in ((socket.AF_INET, a4), (socket.AF_INET6, a6)):
        c, r = connect(fam, addr, W)
        print("B to %s:%d: %s, local %s, peer %s, says %r" % (
            addr, W, r, ip(c.getsockname()), ip(c.getpeername()), c.recv(100)))
        c.close()
    for addr in (a4, b4, "127.0.0.1"):
        t = socket.socket()
        try:
            t.bind((addr, 0))
            print("B bind %s: ok" % addr)
        except OSError as e:
            print("B bind %s: %s" % (addr, err(e)))
        t.close()
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.sendto(b"ping", (a4, U))
    data, frm = u.recvfrom(100)
    print("B udp %r from %s:%d, local %s" % (data, ip(frm), frm[1], ip(u.getsockname())))


if __name__ == "__main__":
    socket.setdefaulttimeout(5)
    if sys.argv[1] == "server":
        server(*sys.argv[2:4])
    else:
        client(*sys.argv[2:6])
