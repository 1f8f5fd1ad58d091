"""dns_query.py SERVER — DNS queries by hand to SERVER:53 over UDP, as a
resolver sends them, under the library: the network's nameserver must
answer at once.  One line per fact (the driver, dns.sh, checks them)."""
import errno
import socket
import struct
import sys
import time

from common import errname, family, say


def query(name, qtype, tid, edns=False):
    q = struct.pack(">HHHHHH", tid, 0x0100, 1, 0, 0, 1 if edns else 0)
    for label in name.rstrip(".").split("."):
        if label:
            q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", qtype, 1)
    if edns:
        q += b"\0" + struct.pack(">HHIH", 41, 1232, 0, 0)
    return q


RCODES = {0: "noerror", 1: "formerr", 3: "nxdomain", 4: "notimp", 5: "refused"}


def answers(reply, qlen):
    """The rdata of each answer: addresses as text, names dotted."""
    out, p = [], qlen
    for _ in range(struct.unpack(">H", reply[6:8])[0]):
        rtype, rdlen = struct.unpack(">H", reply[p + 2:p + 4])[0], \
            struct.unpack(">H", reply[p + 10:p + 12])[0]
        d = reply[p + 12:p + 12 + rdlen]
        if rtype == 1:
            out.append(socket.inet_ntop(socket.AF_INET, d))
        elif rtype == 28:
            out.append(socket.inet_ntop(socket.AF_INET6, d))
        else:
            labels, i = [], 0
            while d[i]:
                labels.append(d[i + 1:i + 1 + d[i]].decode())
                i += 1 + d[i]
            out.append(".".join(labels))
        p += 12 + rdlen
    return out


def ask(s, server, name, qtype, tid, connected=False, edns=False):
    """(rcode word, answers, source, milliseconds)."""
    q = query(name, qtype, tid, edns)
    t0 = time.monotonic()
    if connected:
        s.send(q)
    else:
        s.sendto(q, (server, 53))
    reply, src = s.recvfrom(4096)
    ms = (time.monotonic() - t0) * 1000
    if reply[:2] != q[:2] or not reply[2] & 0x80 or reply[12:len(q) - (11 if edns else 0)] != q[12:len(q) - (11 if edns else 0)]:
        raise SystemExit("reply does not match the query: " + reply.hex())
    return RCODES.get(reply[3] & 15, str(reply[3] & 15)), \
        answers(reply, len(q) - (11 if edns else 0)), src[0], ms


def main():
    server = sys.argv[1]
    s = socket.socket(family(server), socket.SOCK_DGRAM)
    s.settimeout(3)
    rc, _, src, ms = ask(s, server, "nosuchname.example.", 1, 1)
    say("nosuchname A %s from %s fast %s" % (rc, src, ms < 1000))
    rc, an, src, _ = ask(s, server, "localhost", 1, 2)
    say("localhost A %s %s" % (rc, " ".join(an)))
    rc, an, src, _ = ask(s, server, "localhost", 28, 3, edns=True)
    say("localhost AAAA %s %s" % (rc, " ".join(an)))
    rc, an, src, _ = ask(s, server, "1.0.0.127.in-addr.arpa", 12, 4)
    say("127.0.0.1 PTR %s %s" % (rc, " ".join(an)))
    rc, an, src, _ = ask(s, server, "localhost", 15, 5)
    say("localhost MX %s answers %d" % (rc, len(an)))
    s.sendto(b"\x00\x07" + b"\x00" * 10, (server, 53))  # no question
    s.sendto(b"garbage", (server, 53))                  # no header
    try:
        reply = s.recv(4096)
        say("garbage %s" % RCODES.get(reply[3] & 15))
        s.settimeout(0.2)
        s.recv(4096)
        say("garbage answered twice")
    except socket.timeout:
        say("garbage done")
    c = socket.socket(family(server), socket.SOCK_DGRAM)
    c.settimeout(3)
    c.connect((server, 53))
    for i in range(3):
        rc, _, src, _ = ask(c, server, "nosuchname.example", 1, 10 + i, connected=True)
    say("connected %s from %s" % (rc, src))
    t = socket.socket(family(server), socket.SOCK_STREAM)
    try:
        t.connect((server, 53))
        say("tcp connected")
    except OSError as e:
        say("tcp %s" % errname(e))


if __name__ == "__main__":
    main()
