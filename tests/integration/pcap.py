"""Helpers of the capture scenarios (pcap*.sh).

  pcap.py tcp HOST OUT [reset]   a client and a forked server exchange
                                 random bytes both ways: the client sends
                                 and half-closes, the server answers and
                                 closes; with `reset` both send, then the
                                 client closes with SO_LINGER 0.  What each
                                 side sent goes to OUT.c2s and OUT.s2c.
  pcap.py udp HOST OUT           datagrams of 1, 1000 and 65507 (65527 on
                                 IPv6) bytes to a server, echoed; one to a
                                 closed port.  OUT.udp lists
                                 "src sport dst dport len" of each sent.
  pcap.py follow FILE N:A:B...  `tshark -z follow,tcp,raw,N` of FILE gives
                                 exactly the bytes of file A from node 0
                                 and of file B from node 1, for each
                                 stream N; then the conv,tcp lines.
  pcap.py edge HOST              a connect refused (no listener); then a
                                 write to a peer that closed (the peer
                                 answers with a reset).
  pcap.py traffic HOST PORT SECS  UDP datagrams to HOST PORT for SECS s.
"""
import os
import socket
import struct
import subprocess
import sys
import time


def fam_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def recv_all(s):
    got = b""
    while True:
        x = s.recv(65536)
        if not x:
            return got
        got += x


def tcp(host, out, reset):
    fam = fam_of(host)
    a, b = os.urandom(200001), os.urandom(70001)
    l = socket.socket(fam)
    l.bind((host, 0))
    l.listen(1)
    port = l.getsockname()[1]
    pid = os.fork()
    if pid == 0:                        # the server
        s, _ = l.accept()
        l.close()
        if reset:
            got = b""
            while len(got) < len(a):
                got += s.recv(65536)
            s.sendall(b)
            try:
                recv_all(s)             # until the client's reset
            except ConnectionResetError:
                pass
        else:
            got = recv_all(s)           # up to the client's FIN
            s.sendall(b)
        s.close()
        os._exit(0 if got == a else 3)
    l.close()
    c = socket.socket(fam)
    c.connect((host, port))
    c.sendall(a)
    if reset:
        got = b""
        while len(got) < len(b):
            got += c.recv(65536)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    else:
        c.shutdown(socket.SHUT_WR)
        got = recv_all(c)
    c.close()
    _, st = os.waitpid(pid, 0)
    if got != b or st != 0:
        sys.exit("exchange failed: client got %d of %d bytes, server status %d"
                 % (len(got), len(b), st))
    open(out + ".c2s", "wb").write(a)
    open(out + ".s2c", "wb").write(b)
    print("sent %d and %d bytes" % (len(a), len(b)))


def udp(host, out):
    fam = fam_of(host)
    srv = socket.socket(fam, socket.SOCK_DGRAM)
    srv.bind((host, 0))
    cli = socket.socket(fam, socket.SOCK_DGRAM)
    cli.bind((host, 0))
    big = 65507 if fam == socket.AF_INET else 65527
    lines = []
    sa, ca = srv.getsockname()[:2], cli.getsockname()[:2]
    for n in (1, 1000, big):
        cli.sendto(os.urandom(n), sa)
        data, frm = srv.recvfrom(70000)
        srv.sendto(data, frm)
        cli.recv(70000)
        lines.append("%s %d %s %d %d" % (ca[0], ca[1], sa[0], sa[1], n))
        lines.append("%s %d %s %d %d" % (sa[0], sa[1], ca[0], ca[1], n))
    closed = socket.socket(fam, socket.SOCK_DGRAM)
    closed.bind((host, 0))
    dead = closed.getsockname()[1]
    closed.close()
    cli.sendto(b"nobody", (host, dead))
    lines.append("%s %d %s %d %d" % (ca[0], ca[1], host, dead, 6))
    open(out + ".udp", "w").write("\n".join(lines) + "\n")
    print("closed port %d" % dead)


def follow(pcap, *streams):
    """Each of streams is "N:A:B"; one tshark run follows them all (and
    lists the conversations, printed after)."""
    args = ["tshark", "-r", pcap, "-q", "-z", "conv,tcp"]
    for st in streams:
        args += ["-z", "follow,tcp,raw,%s" % st.split(":")[0]]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    blocks, cur = {}, None
    for line in out.splitlines():
        if line.startswith("Filter: tcp.stream eq "):
            cur = blocks.setdefault(line.split()[-1], [bytearray(), bytearray()])
        elif line.startswith("="):
            cur = None
        elif cur is not None and line and not line.startswith(("Follow:", "Node ")):
            cur[1 if line.startswith("\t") else 0] += bytes.fromhex(line.strip())
    for st in streams:
        n, fa, fb = st.split(":")
        sides = blocks.get(n, [b"", b""])
        want = [open(fa, "rb").read(), open(fb, "rb").read()]
        for i in (0, 1):
            if bytes(sides[i]) != want[i]:
                sys.exit("stream %s node %d: %d bytes, expected %d (%s)"
                         % (n, i, len(sides[i]), len(want[i]),
                            "same length, other bytes" if len(sides[i]) == len(want[i])
                            else "differs"))
        print("stream %s: %d and %d bytes as sent" % (n, len(want[0]), len(want[1])))
    print("\n".join(l for l in out.splitlines() if "<->" in l))


def edge(host):
    fam = fam_of(host)
    closed = socket.socket(fam)
    closed.bind((host, 0))
    port = closed.getsockname()[1]
    closed.close()
    c = socket.socket(fam)
    try:
        c.connect((host, port))
        sys.exit("connect to a closed port succeeded")
    except ConnectionRefusedError:
        pass
    c.close()
    l = socket.socket(fam)
    l.bind((host, 0))
    l.listen(1)
    c = socket.create_connection(l.getsockname()[:2])
    s, _ = l.accept()
    s.close()                           # FIN to the client
    c.send(b"into the void")            # delivered; answered by a reset
    try:
        c.send(b"again")
        sys.exit("second write after the reset succeeded")
    except (BrokenPipeError, ConnectionResetError):
        pass
    c.close()
    print("refused, then reset")


def traffic(host, port, secs):
    s = socket.socket(fam_of(host), socket.SOCK_DGRAM)
    end = time.time() + float(secs)
    n = 0
    while time.time() < end:
        s.sendto(b"tick %d" % n, (host, int(port)))
        n += 1
        time.sleep(0.01)
    print("sent %d" % n)


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "tcp":
        tcp(args[0], args[1], len(args) > 2 and args[2] == "reset")
    elif cmd == "udp":
        udp(args[0], args[1])
    elif cmd == "follow":
        follow(*args)
    elif cmd == "edge":
        edge(args[0])
    elif cmd == "traffic":
        traffic(*args)
    else:
        sys.exit("unknown command " + cmd)
