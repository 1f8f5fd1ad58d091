#!/usr/bin/env bash
# Rate and delay against Linux as the oracle: two network namespaces on a
# veth pair and two libsimnet hosts with the same addresses; the same
# probe (faults.py bulk and rtt) runs on both, and the figures must agree
# within generous bounds:
#  - rate: tbf at 1 MiB/s on each side (tbf is in every kernel that has
#    traffic control) against `simnet link --both --rate 1mibps`: a 2 MiB
#    transfer;
#  - delay: netem's 50 ms on each side against `--delay 50ms --both`: the
#    connect time and one-byte round trips.  Kernels without sch_netem
#    (some CI and container kernels) skip this part only, with a line
#    "skipped: ..." (tests/test_integration.c shows it).
# Needs root (CI runs as root): skipped otherwise.
. "$(dirname "$0")/lib.bash"

if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null || ! command -v tc >/dev/null; then
    echo "not root, or no ip(8) or tc(8): no namespaces for the kernel's side (skipped)"
    echo skip
    exit 0
fi
SIMNET=$(cd "$it_here/../.." && pwd)/scripts/simnet
PROG=$it_here/faults.py
A4=10.1.0.1 B4=10.1.0.2
NA=sn-faults-$$-a NB=sn-faults-$$-b
ns_cleanup() { ip netns del "$NA" 2>/dev/null; ip netns del "$NB" 2>/dev/null; it_cleanup; }
trap ns_cleanup EXIT

ip netns add "$NA" && ip netns add "$NB" || { echo "cannot make namespaces here (skipped)"; echo skip; exit 0; }
ip -n "$NA" link add veth-a type veth peer name veth-b netns "$NB" || fail "veth pair"
ip -n "$NA" addr add "$A4/24" dev veth-a && ip -n "$NB" addr add "$B4/24" dev veth-b || fail "addresses"
ip -n "$NA" link set veth-a up && ip -n "$NB" link set veth-b up || fail "veth up"
# 1 MiB/s; burst 32 kbit (4 KB: a few packets); the queue holds 400 ms.
tbf="tbf rate 8388608bit burst 32kbit latency 400ms"
if ! ip netns exec "$NA" tc qdisc add dev veth-a root $tbf 2>"$IT_DIR/tc.err"; then
    echo "no tbf qdisc here: $(head -1 "$IT_DIR/tc.err") (skipped)"
    echo skip
    exit 0
fi
ip netns exec "$NB" tc qdisc add dev veth-b root $tbf || fail "tbf on veth-b"

export SIMNET_DIR=$IT_DIR
it_keep "$IT_NET"
"$SIMNET" run -n "$IT_NET" --host a --addr "$A4" -- true && "$SIMNET" run -n "$IT_NET" --host b --addr "$B4" -- true ||
    fail "simnet hosts a and b"

# probe SIDE PORT PROG-ARGS (server) -- PROG-ARGS (client): both sides'
# output lines in $IT_DIR/SIDE.out.
probe() {
    local side=$1 port=$2 srv=$3 cli=$4
    if [ "$side" = kernel ]; then
        bg "$IT_DIR/$side-srv.out" - ip netns exec "$NA" "$PY" "$PROG" $srv $port
    else
        bg "$IT_DIR/$side-srv.out" - "$SIMNET" run -n "$IT_NET" --host a -- "$PY" "$PROG" $srv $port
    fi
    local s=$BG_PID
    wait_line "$IT_DIR/$side-srv.out" '^listening' "$s"
    if [ "$side" = kernel ]; then
        timeout 20 ip netns exec "$NB" "$PY" "$PROG" $cli >"$IT_DIR/$side.out" 2>&1
    else
        timeout 20 "$SIMNET" run -n "$IT_NET" --host b -- "$PY" "$PROG" $cli >"$IT_DIR/$side.out" 2>&1
    fi || { show "$IT_DIR/$side.out"; fail "$side client $(rcstr $?)"; }
}
# ---- rate: tbf ----
"$SIMNET" link -n "$IT_NET" a b --both --rate 1mibps || fail "simnet link --rate"
probe kernel 7201 sink "bulk $A4 7201 $((2 << 20))"
probe simnet 7201 sink "bulk $A4 7201 $((2 << 20))"
kt=$(awk '{print $4}' "$IT_DIR/kernel.out")
st=$(awk '{print $4}' "$IT_DIR/simnet.out")
awk -v k="$kt" -v s="$st" 'BEGIN { exit !(k >= 1.6 && s >= 1.6 && s < 2 * k && k < 2 * s) }' ||
    fail "2 MiB at 1 MiB/s: kernel (tbf) $kt s, simnet $st s"
said="2 MiB at 1 MiB/s kernel (tbf) $kt s, simnet $st s"

# ---- delay: netem, where the kernel has it ----
"$SIMNET" link -n "$IT_NET" a b --both --clear
if ip netns exec "$NA" tc qdisc replace dev veth-a root netem delay 50ms 2>"$IT_DIR/tc.err"; then
    ip netns exec "$NB" tc qdisc replace dev veth-b root netem delay 50ms || fail "netem on veth-b"
    "$SIMNET" link -n "$IT_NET" a b --both --delay 50ms || fail "simnet link --delay"
    probe kernel 7200 echo "rtt $A4 7200 block 5"
    probe simnet 7200 echo "rtt $A4 7200 block 5"
    read -r _ kc _ klo khi _ <"$IT_DIR/kernel.out"
    read -r _ sc _ slo shi _ <"$IT_DIR/simnet.out"
    for v in "connect $kc $sc" "fastest $klo $slo" "slowest $khi $shi"; do
        set -- $v
        [ "$2" -ge 100 ] && [ "$2" -lt 300 ] || fail "kernel (netem): $1 round trip $2 ms"
        [ "$3" -ge 100 ] && [ "$3" -lt 300 ] || fail "simnet: $1 round trip $3 ms"
        d=$(( $2 > $3 ? $2 - $3 : $3 - $2 ))
        [ "$d" -lt 60 ] || fail "$1 round trip: kernel (netem) $2 ms, simnet $3 ms"
    done
    said="$said; round trips kernel (netem) $klo-$khi ms, simnet $slo-$shi ms"
else
    echo "skipped: the delay part: no netem qdisc here: $(head -1 "$IT_DIR/tc.err")"
fi
check_arena
echo "$said"
echo ok
