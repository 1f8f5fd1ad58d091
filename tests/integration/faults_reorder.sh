#!/usr/bin/env bash
# netem's reorder of UDP datagrams between hosts (tests/integration/
# faults.py has the programs):
#  - --delay 1s --reorder 25% 50%: of 300 datagrams all arrive, some
#    ahead of others; the same seed gives the same order in two runs
#    (fresh networks), another seed another order;
#  - --reorder 100% --gap 5: exactly every fifth goes at once, ahead of
#    the others (netem's gap; and, as root with the netem qdisc, netem
#    gives the same order on a veth pair between two namespaces);
#  - the link lists its correlations and gap; bad values: one line,
#    status 2.
. "$(dirname "$0")/lib.bash"

. "$it_here/faults_lib.bash"

# reorder_run NET SEED N LINK-OPTIONS...: the datagram numbers db received,
# in order, of N sent by app through a link with those options, in a
# fresh network under SEED.
reorder_run() {
    local net=$1 seed=$2 n=$3
    shift 3
    it_keep "$net"
    "$SIMNET" link -n "$net" app db "$@" || fail "simnet link $* failed"
    "$SIMNET" run -n "$net" --seed "$seed" -- true || fail "simnet run --seed failed"
    bg "$IT_DIR/$net.sink" - "$SIMNET" run -n "$net" --host db -- "$PY" "$PROG" udp_sink 7300 2 \
        "$IT_DIR/$net.go"
    local p=$BG_PID
    wait_line "$IT_DIR/$net.sink" '^listening' "$p"
    "$SIMNET" run -n "$net" --host app -- "$PY" "$PROG" udp_source db 7300 "$n" >/dev/null ||
        fail "udp_source failed"
    touch "$IT_DIR/$net.go"
    wait_line "$IT_DIR/$net.sink" '^got' "$p" 10
    grep '^got' "$IT_DIR/$net.sink"
}

# ---- seeded reorder: the same order from the same seed ----
opts=(--delay 1s --reorder 25% 50%)
a=$(reorder_run "$IT_NET-r1" 7 300 "${opts[@]}")
b=$(reorder_run "$IT_NET-r2" 7 300 "${opts[@]}")
c=$(reorder_run "$IT_NET-r3" 8 300 "${opts[@]}")
"$SIMNET" link -n "$IT_NET-r1" | grep -q '^app -> db delay 1000ms reorder 25% 50%$' ||
    fail "listed as: $("$SIMNET" link -n "$IT_NET-r1")"
read -r _ n rest <<<"$a"
[ "$n" = 300 ] || fail "reorder lost datagrams: got $n of 300"
sorted=$(tr ' ' '\n' <<<"$rest" | sort -n | tr '\n' ' ')
[ "$sorted" = "$(seq -s ' ' 0 299) " ] || fail "not each datagram once: $rest"
[ "$rest" != "$(seq -s ' ' 0 299)" ] || fail "--reorder 25%: nothing was reordered"
[ "$a" = "$b" ] || fail "the same seed reordered other datagrams: '$a' / '$b'"
[ "$a" != "$c" ] || fail "two seeds reordered the same datagrams"

# ---- gap: every fifth goes at once ----
g=$(reorder_run "$IT_NET-g" 1 20 --delay 1s --reorder 100% --gap 5)
want="got 20 4 9 14 19 0 1 2 3 5 6 7 8 10 11 12 13 15 16 17 18"
[ "$g" = "$want" ] || fail "--reorder 100% --gap 5 gave '$g', not '$want'"
"$SIMNET" link -n "$IT_NET-g" | grep -q '^app -> db delay 1000ms reorder 100% gap 5$' ||
    fail "listed as: $("$SIMNET" link -n "$IT_NET-g")"

# ---- the same gap from netem on a veth pair (root, netem qdisc) ----
# Nothing else may cross veth-a (netem's gap counts every packet): no
# IPv6 (router solicitations, DAD), a permanent neighbour (no ARP).
netem_gap() {
    [ "$(id -u)" = 0 ] && command -v ip >/dev/null && command -v tc >/dev/null || {
        echo "skipped: the netem oracle: not root, or no ip(8) or tc(8)"; return; }
    local na=sn-reorder-$$-a nb=sn-reorder-$$-b mac
    ip netns add "$na" && ip netns add "$nb" || { echo "skipped: the netem oracle: no namespaces"; return; }
    trap 'ip netns del '"$na"' 2>/dev/null; ip netns del '"$nb"' 2>/dev/null; it_cleanup' EXIT
    ip -n "$na" link add veth-a type veth peer name veth-b netns "$nb" || fail "veth pair"
    for ns in "$na" "$nb"; do
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
            net.ipv6.conf.default.disable_ipv6=1 || fail "no IPv6 in $ns"
    done
    ip -n "$na" addr add 10.2.0.1/24 dev veth-a && ip -n "$nb" addr add 10.2.0.2/24 dev veth-b ||
        fail "addresses"
    mac=$(ip -n "$nb" -o link show veth-b | sed -E 's/.*link\/ether ([0-9a-f:]+).*/\1/')
    ip -n "$na" neigh add 10.2.0.2 lladdr "$mac" dev veth-a nud permanent || fail "neighbour"
    if ! ip netns exec "$na" tc qdisc add dev veth-a root netem delay 1s reorder 100% gap 5 \
        2>"$IT_DIR/tc.err"; then
        echo "skipped: the netem oracle: no netem qdisc here: $(head -1 "$IT_DIR/tc.err")"
        return
    fi
    ip -n "$na" link set veth-a up && ip -n "$nb" link set veth-b up || fail "veth up"
    bg "$IT_DIR/kernel.sink" - ip netns exec "$nb" "$PY" "$PROG" udp_sink 7300 2 "$IT_DIR/kernel.go"
    local p=$BG_PID
    wait_line "$IT_DIR/kernel.sink" '^listening' "$p"
    ip netns exec "$na" "$PY" "$PROG" udp_source 10.2.0.2 7300 20 >/dev/null ||
        fail "udp_source in a namespace failed"
    touch "$IT_DIR/kernel.go"
    wait_line "$IT_DIR/kernel.sink" '^got' "$p" 10
    k=$(grep '^got' "$IT_DIR/kernel.sink")
    [ "$k" = "$g" ] || fail "--reorder 100% --gap 5: netem gave '$k', simnet '$g'"
    echo "netem oracle: the same order ($k)"
}
netem_gap

# ---- bad values ----
for bad in "--gap 5" "--reorder 5% --gap 0" "--reorder 5% x" "--distribution lognormal" \
    "--correlation 25%" "--delay 10ms 5ms 25"; do
    err=$(sn link app db $bad 2>&1); rc=$?
    [ "$rc" = 2 ] && [ "$(wc -l <<<"$err")" = 1 ] || fail "$bad: status $rc, '$err'"
done
check_arena "$IT_NET-r1"
echo ok
