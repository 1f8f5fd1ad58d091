#!/usr/bin/env bash
# Two hosts, differential: the kernel's version is two network namespaces
# joined by a veth pair (A 10.1.0.1 / fd00:51::1, B 10.1.0.2 / fd00:51::2,
# only inside those namespaces, removed at the end); libsimnet's is two
# hosts of one network started with `simnet run --host A --addr ...`.
# The same probe (two_hosts.py: 127.0.0.1:6379 bound on both, connections
# across by address over IPv4 and IPv6, the names both ends see, which
# addresses bind takes, a datagram and its reply) must print the same.
# Needs root for the namespaces (CI runs as root): skipped otherwise.
. "$(dirname "$0")/lib.bash"

if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null; then
    echo "not root or no ip(8): no namespaces for the kernel's side (skipped)"
    echo skip
    exit 0
fi
SIMNET=$(cd "$it_here/../.." && pwd)/scripts/simnet
PROBE=$it_here/two_hosts.py
A4=10.1.0.1 A6=fd00:51::1 B4=10.1.0.2 B6=fd00:51::2
NA=sn-hosts-$$-a NB=sn-hosts-$$-b
ns_cleanup() { ip netns del "$NA" 2>/dev/null; ip netns del "$NB" 2>/dev/null; it_cleanup; }
trap ns_cleanup EXIT

ip netns add "$NA" && ip netns add "$NB" || { echo "cannot make namespaces here (skipped)"; echo skip; exit 0; }
ip -n "$NA" link add veth-a type veth peer name veth-b netns "$NB" || fail "veth pair"
ip -n "$NA" link set lo up && ip -n "$NB" link set lo up || fail "lo up"
ip -n "$NA" addr add "$A4/24" dev veth-a && ip -n "$NB" addr add "$B4/24" dev veth-b || fail "IPv4 addresses"
ip -n "$NA" addr add "$A6/64" dev veth-a nodad && ip -n "$NB" addr add "$B6/64" dev veth-b nodad || fail "IPv6 addresses"
ip -n "$NA" link set veth-a up && ip -n "$NB" link set veth-b up || fail "veth up"

k_srv=$IT_DIR/kernel-A.out k_cli=$IT_DIR/kernel-B.out
bg "$k_srv" - ip netns exec "$NA" "$PY" "$PROBE" server "$A4" "$A6"
wait_line "$k_srv" '^A ready' "$BG_PID"
kpid=$BG_PID
timeout 20 ip netns exec "$NB" "$PY" "$PROBE" client "$A4" "$A6" "$B4" "$B6" >"$k_cli" 2>&1 ||
    { show "$k_srv" "$k_cli"; fail "kernel client $(rcstr $?)"; }
wait_exit "$kpid" || { show "$k_srv"; fail "kernel server failed"; }

s_srv=$IT_DIR/simnet-A.out s_cli=$IT_DIR/simnet-B.out
export SIMNET_DIR=$IT_DIR
it_keep "$IT_NET"
bg "$s_srv" - "$SIMNET" run -n "$IT_NET" --host A --addr "$A4" --addr "$A6" -- "$PY" "$PROBE" server "$A4" "$A6"
spid=$BG_PID
wait_line "$s_srv" '^A ready' "$spid"
timeout 20 "$SIMNET" run -n "$IT_NET" --host B --addr "$B4" --addr "$B6" -- \
    "$PY" "$PROBE" client "$A4" "$A6" "$B4" "$B6" >"$s_cli" 2>&1 ||
    { show "$s_srv" "$s_cli"; fail "simnet client $(rcstr $?)"; }
wait_exit "$spid" || { show "$s_srv"; fail "simnet server failed"; }

for side in A B; do
    k=$IT_DIR/kernel-$side.out s=$IT_DIR/simnet-$side.out
    diff -u "$k" "$s" >"$IT_DIR/diff" || { show "$IT_DIR/diff"; fail "host $side: simnet differs from the kernel"; }
done
check_arena
echo "two hosts: $(wc -l <"$k_cli") client lines and $(wc -l <"$k_srv") server lines as on two namespaces"
echo ok
