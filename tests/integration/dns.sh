#!/usr/bin/env bash
# Scenario: the network answers DNS itself.  Queries sent by hand over
# UDP (dns_query.py) to the resolv.conf nameserver, to 8.8.8.8 and to an
# IPv6 address: "no such name" at once, from the address asked;
# localhost's A, AAAA and PTR; NODATA; FORMERR for a query without a
# question, nothing for one without a header; a connected socket; DNS
# over TCP refused; glibc's send pattern (build/probes/dns_send); node's
# resolver (dns_node.js, when node is installed).  In the isolated pass (no kernel network at all) the
# answers prove that nothing left.  Then a user's own DNS server on
# 127.0.0.1:53 takes its queries before the network does.
# dig (bind9) sends through libuv's sendmmsg, made with syscall(3): it
# must get NXDOMAIN and localhost's address.
. "$(dirname "$0")/lib.bash"

here=$(dirname "$0")
ns=$(awk '$1 == "nameserver" { print $2; exit }' /etc/resolv.conf 2>/dev/null)
ns=${ns%%%*}
[ -n "$ns" ] || ns=127.0.0.1        # glibc's default

for server in "$ns" 8.8.8.8 2001:db8::53; do
    out=$IT_DIR/q.out
    sim "$IT_NET" "$PY" "$here/dns_query.py" "$server" >"$out" 2>&1 ||
        { show "$out"; fail "$server: dns_query.py $(rcstr $?)"; }
    for want in "nosuchname A nxdomain from $server fast True" \
                "localhost A noerror 127.0.0.1" "localhost AAAA noerror ::1" \
                "127.0.0.1 PTR noerror localhost" "localhost MX noerror answers 0" \
                "garbage formerr" "garbage done" \
                "connected nxdomain from $server" "tcp ECONNREFUSED"; do
        grep -qxF "$want" "$out" || { show "$out"; fail "$server: no line '$want'"; }
    done
    echo "$server: NXDOMAIN at once, localhost A/AAAA/PTR, FORMERR, TCP refused"
done

# glibc's resolver on the wire (send_dg's pattern, glibc's own message
# code): A and AAAA at once with sendmmsg on a connected socket.
probe=$(cd "$here/../.." && pwd)/build/probes/dns_send
[ -x "$probe" ] || fail "build/probes/dns_send is not built"
out=$IT_DIR/send.out
sim "$IT_NET" "$probe" "$ns" >"$out" 2>&1 || { show "$out"; fail "dns_send $(rcstr $?)"; }
diff -u - "$out" <<'END' || fail "dns_send: other replies than expected"
nosuchname.example A: rcode NXDOMAIN answers 0
nosuchname.example AAAA: rcode NXDOMAIN answers 0
localhost A: rcode NOERROR answers 1
localhost A: 127.0.0.1 ttl 60
localhost AAAA: rcode NOERROR answers 1
localhost AAAA: ::1 ttl 60
1.0.0.127.in-addr.arpa PTR: rcode NOERROR answers 1
1.0.0.127.in-addr.arpa PTR: localhost ttl 60
1.0.0.127.in-addr.arpa A: rcode NOERROR answers 0
END
echo "dns_send: glibc's res_mkquery/ns_parserr agree, A+AAAA through sendmmsg"

# A user's server on 127.0.0.1:53 answers its own queries.
srv=$IT_DIR/srv.out
bg "$srv" "$IT_NET" "$PY" -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53)); print("ready", flush=True)
q, a = s.recvfrom(512)
s.sendto(q[:2] + b"\x81\x85" + q[4:], a)     # REFUSED: only we say that
print("answered", flush=True)'
spid=$BG_PID
wait_line "$srv" '^ready' "$spid"
cli=$IT_DIR/cli.out
sim "$IT_NET" "$PY" -c '
import socket, sys
sys.path.insert(0, sys.argv[1]); from dns_query import query
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
s.sendto(query("localhost", 1, 9), ("127.0.0.1", 53))
print("rcode", s.recv(512)[3] & 15)' "$here" >"$cli" 2>&1 ||
    { show "$srv" "$cli"; fail "client of the user's server $(rcstr $?)"; }
grep -qx "rcode 5" "$cli" || { show "$srv" "$cli"; fail "the user's server did not answer first"; }
wait_exit "$spid"
echo "a user's server on 127.0.0.1:53 comes first"

# node's resolver (c-ares, through the C library's socket calls).
if command -v node >/dev/null; then
    out=$IT_DIR/node.out
    sim "$IT_NET" node "$here/dns_node.js" "$ns" >"$out" 2>&1 ||
        { show "$out"; fail "node $(rcstr $?)"; }
    diff -u - "$out" <<'END' || fail "node: other answers than expected"
nosuchname ENOTFOUND
fast true
localhost A 127.0.0.1
localhost AAAA ::1
PTR localhost
END
    echo "node dns.Resolver: ENOTFOUND at once, localhost A/AAAA/PTR"
else
    echo "node: not installed, skipped"
fi

# bind9's tools (libuv: socket() through libc, sendmmsg/recvmmsg through
# syscall(3), which the library runs on its simulated socket).
if command -v dig >/dev/null; then
    d=$IT_DIR/dig.out
    sim "$IT_NET" dig @"$ns" nosuchname.example +tries=1 +time=1 >"$d" 2>&1
    grep -q 'status: NXDOMAIN' "$d" || { show "$d"; fail "dig @$ns nosuchname.example: no NXDOMAIN"; }
    r=$(sim "$IT_NET" dig @"$ns" localhost +short +tries=1 +time=1 2>&1)
    [ "$r" = 127.0.0.1 ] || fail "dig @$ns localhost: '$r'"
    echo "dig @$ns: nosuchname.example NXDOMAIN, localhost 127.0.0.1"
else
    echo "dig: not installed, skipped"
fi
check_arena
echo ok
