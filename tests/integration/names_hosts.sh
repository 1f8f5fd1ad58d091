#!/usr/bin/env bash
# Scenario: names of the network's hosts by every path, each host its own
# `simnet run --host`: a redis-server on host db, lookups from host app.
#   - NSS: getent hosts db (and DB, db., db.simnet), getent hosts <db's
#     address> (reverse), getent ahosts db; hostname;
#   - Python: socket.gethostname(), getaddrinfo("db", 6379),
#     gethostbyaddr(<db's address>), an unknown name (EAI_NONAME, fast);
#   - glibc's resolver on the wire (build/probes/host_names, -lresolv):
#     res_query for db (A) and for an unknown name (NXDOMAIN, fast),
#     getaddrinfo of an unknown name (EAI_NONAME, fast), AI_ADDRCONFIG
#     lookups answered by the host's interfaces, and the interface ioctls;
#   - route netlink: `ip -br addr`, `ip link show dev eth0`, `ip addr add`;
#   - Go's own resolver (build/go/hostnames, GODEBUG=netdns=go):
#     LookupHost, LookupAddr, an unknown name fast, Dial("db:6379") + PING;
#   - node (when installed): dns.lookup, dns.resolve4/6, an unknown name;
#   - dig and host, to the nameserver of /etc/resolv.conf.
# In the isolated pass (no kernel network at all) every answer proves
# that no query reached a real DNS server.
. "$(dirname "$0")/lib.bash"

root=$(cd "$it_here/../.." && pwd)
SIMNET=$root/scripts/simnet
probe=$root/build/probes/host_names
gohost=$root/build/go/hostnames
[ -x "$probe" ] || fail "build/probes/host_names is not built (make test)"
[ -x "$gohost" ] || fail "build/go/hostnames is not built (make go; package golang-go)"
command -v redis-server >/dev/null || fail "redis-server is not installed"
export SIMNET_DIR=$IT_DIR
it_keep "$IT_NET"
on() { local h=$1; shift; timeout -k 1 10 "$SIMNET" run -n "$IT_NET" --host "$h" -- "$@"; }
expect() {  # OUTFILE LINE...: every LINE is a line of OUTFILE
    local out=$1 want
    shift
    for want in "$@"; do
        grep -qxF -- "$want" "$out" || { show "$out"; fail "no line '$want'"; }
    done
}

bg "$IT_DIR/db.out" - "$SIMNET" run -n "$IT_NET" --host db -- redis-server --port 6379 \
    --protected-mode no --save '' --appendonly no --dir "$IT_DIR" --logfile '' --daemonize no
dbp=$BG_PID
wait_line "$IT_DIR/db.out" 'Ready to accept connections' "$dbp"
on app true || fail "cannot start a program on host app"
hosts=$("$SIMNET" hosts -n "$IT_NET")
db=$(awk '$2 == "db" && $1 ~ /^[0-9.]+$/ {print $1}' <<<"$hosts")
db6=$(awk '$2 == "db" && $1 ~ /:/ {print $1}' <<<"$hosts")
app=$(awk '$2 == "app" && $1 ~ /^[0-9.]+$/ {print $1}' <<<"$hosts")
[ -n "$db" ] && [ -n "$db6" ] && [ -n "$app" ] || fail "simnet hosts: $hosts"

# NSS (getent: gethostbyname2 for hosts, getaddrinfo for ahosts).
for n in db DB db. db.simnet DB.SIMNET.; do
    r=$(on app getent hosts "$n" 2>&1)
    grep -Eq "^($db|$db6) +db\$" <<<"$r" || fail "getent hosts $n on app: '$r'"
done
r=$(on app getent hosts "$db" 2>&1)
[ "$(echo $r)" = "$db db" ] || fail "getent hosts $db on app: '$r'"
r=$(on app getent ahosts db 2>&1)
grep -Eq "^$db +STREAM db\$" <<<"$r" && grep -Eq "^$db6 +STREAM" <<<"$r" ||
    fail "getent ahosts db on app: '$r'"
r=$(on app getent ahostsv4 localhost 2>&1 | awk 'NR == 1 {print $1}')
[ "$r" = 127.0.0.1 ] || fail "getent ahostsv4 localhost (AI_ADDRCONFIG) on app: '$r'"
r=$(on app getent hosts no-such-host.example 2>&1)
[ $? = 2 ] && [ -z "$r" ] || fail "getent hosts no-such-host.example on app: '$r'"
[ "$(on app hostname)" = app ] || fail "hostname on app: $(on app hostname)"
echo "getent hosts/ahosts db (any case, trailing dot, .simnet), reverse, unknown; hostname"

# Python.
out=$IT_DIR/py.out
on app "$PY" -c '
import socket, sys, time
db = sys.argv[1]
print("gethostname", socket.gethostname())
print("getaddrinfo", sorted({a[4][0] for a in socket.getaddrinfo("db", 6379)}))
print("gethostbyaddr", socket.gethostbyaddr(db)[0])
t = time.time()
try:
    socket.getaddrinfo("no-such-host.example", 80)
    print("unknown found")
except socket.gaierror as e:
    print("unknown", "EAI_NONAME" if e.errno == socket.EAI_NONAME else e.errno,
          "fast" if time.time() - t < 1 else "slow")
' "$db" >"$out" 2>&1 || { show "$out"; fail "python3 $(rcstr $?)"; }
expect "$out" "gethostname app" "getaddrinfo ['$db', '$db6']" "gethostbyaddr db" \
    "unknown EAI_NONAME fast"
echo "Python: gethostname, getaddrinfo, gethostbyaddr, unknown name EAI_NONAME at once"

# glibc's resolver on the wire, AI_ADDRCONFIG, interfaces.
out=$IT_DIR/c.out
on app "$probe" db >"$out" 2>&1 || { show "$out"; fail "host_names $(rcstr $?)"; }
expect "$out" "res_query db A: $db answers 1 fast" \
    "res_query no-such-host.example A: failed h_errno HOST_NOT_FOUND fast" \
    "getaddrinfo no-such-host.example: EAI_NONAME fast" \
    "getaddrinfo db AF_INET AI_ADDRCONFIG: $db" \
    "getaddrinfo localhost AF_INET AI_ADDRCONFIG: 127.0.0.1" \
    "gethostbyname db: $db" \
    "if lo 127.0.0.1 mask 255.0.0.0 up loopback index 1 named lo" \
    "if eth0 $app mask 255.255.0.0 up index 2 named eth0"
echo "C: res_query db and NXDOMAIN at once, getaddrinfo EAI_NONAME at once, AI_ADDRCONFIG, SIOCGIF*"

# Route netlink (iproute2): the host's interfaces; changes refused.
if command -v ip >/dev/null; then
    r=$(on app ip -br addr 2>&1)
    [ "$(echo $r)" = "lo UNKNOWN 127.0.0.1/8 ::1/128 eth0 UP $app/16 $(awk '$2 == "app" && $1 ~ /:/ {print $1}' <<<"$hosts")/64" ] ||
        fail "ip -br addr on app: '$r'"
    r=$(on app ip -o link show dev eth0 2>&1)
    grep -q '^2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 ' <<<"$r" || fail "ip link show dev eth0 on app: '$r'"
    r=$(on app ip addr add 192.0.2.9/24 dev eth0 2>&1)
    grep -q 'Operation not permitted' <<<"$r" || fail "ip addr add on app: '$r'"
    echo "ip -br addr, ip link show dev eth0: lo and eth0 of the host; ip addr add: EPERM"
fi

# Go's own resolver, and a dial by name.
out=$IT_DIR/go.out
on app "$gohost" db "$db" db:6379 >"$out" 2>&1 || { show "$out"; fail "Go hostnames $(rcstr $?)"; }
expect "$out" "LookupHost db: $db $db6 <nil>" "LookupAddr $db: db. <nil>" \
    "LookupHost unknown: failed true, under 1s true" "Dial db:6379: PING -> +PONG <nil>"
echo "Go (netdns=go): LookupHost, LookupAddr, unknown at once, Dial db:6379"

# node: getaddrinfo (dns.lookup) and c-ares (dns.resolve*).
if command -v node >/dev/null; then
    out=$IT_DIR/node.out
    on app node -e '
const dns = require("dns");
dns.lookup("db", {all: true}, (e, a) => {
  console.log("lookup db", e ? e.code : a.map(x => x.address).sort().join(" "));
  dns.resolve4("db", (e, a) => {
    console.log("resolve4 db", e ? e.code : a.join(" "));
    dns.resolve6("db", (e, a) => {
      console.log("resolve6 db", e ? e.code : a.join(" "));
      const t = Date.now();
      dns.resolve4("no-such-host.example", (e) =>
        console.log("resolve4 unknown", e ? e.code : "found", Date.now() - t < 1000 ? "fast" : "slow"));
    });
  });
});' >"$out" 2>&1 || { show "$out"; fail "node $(rcstr $?)"; }
    expect "$out" "lookup db $db $db6" "resolve4 db $db" "resolve6 db $db6" \
        "resolve4 unknown ENOTFOUND fast"
    echo "node: dns.lookup, dns.resolve4/6, unknown at once"
else
    echo "node: not installed, skipped"
fi

# bind9's tools, to the nameserver of resolv.conf.
ns=$(awk '$1 == "nameserver" { print $2; exit }' /etc/resolv.conf 2>/dev/null)
ns=${ns%%%*}
[ -n "$ns" ] || ns=127.0.0.1
if command -v dig >/dev/null; then
    r=$(on app dig +short +tries=1 +time=2 db @"$ns" 2>&1)
    [ "$r" = "$db" ] || fail "dig db @$ns on app: '$r'"
    r=$(on app dig +short +tries=1 +time=2 -x "$db" @"$ns" 2>&1)
    [ "$r" = "db." ] || fail "dig -x $db @$ns on app: '$r'"
    r=$(on app host db 2>&1)
    grep -qx "db has address $db" <<<"$r" && grep -qx "db has IPv6 address $db6" <<<"$r" ||
        fail "host db on app: '$r'"
    r=$(on app host no-such-host.example 2>&1)
    grep -q 'NXDOMAIN' <<<"$r" || fail "host no-such-host.example on app: '$r'"
    echo "dig db, dig -x, host db, host of an unknown name: NXDOMAIN"
else
    echo "dig: not installed, skipped"
fi

kill -TERM "$dbp"
check_arena
echo ok
