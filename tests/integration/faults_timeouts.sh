#!/usr/bin/env bash
# When TCP gives up under a partition, and when a listener sees a
# connection over a delayed link (tests/integration/faults_timeouts.py
# has the programs), with generous bounds for shared machines:
#  - a connect with TCP_SYNCNT 1 under a partition fails with ETIMEDOUT
#    after about 3 s (SYNs at 0 and 1 s, given up at 3 s), blocking, and
#    non-blocking through poll (POLLOUT|POLLERR|POLLHUP) and
#    SO_ERROR; with TCP_USER_TIMEOUT 1.5 s (and TCP_SYNCNT 6) after
#    about 1.5 s;
#  - SO_KEEPALIVE with TCP_KEEPIDLE 1, TCP_KEEPINTVL 1, TCP_KEEPCNT 2: an
#    idle connection across a partition ends with ETIMEDOUT after about
#    3 s; one across a link that is not cut lives on, and so does one
#    that sent a byte after the cut (keepalive does nothing while data
#    is unacknowledged: the retransmission limit, 924.6 s, rules);
#  - 100 ms each way: accept (blocking, or after poll or epoll) sees a connection
#    when the handshake's third packet arrives, >= 0.25 s after the
#    client's connect began (its connect returns after one round trip);
#  - 300 ms each way from app, none from web: web's connection, made
#    0.1 s after app's, is accepted first (blocking, and after poll).
# Then the same probes against Linux when root can make two network
# namespaces on a veth pair (the partition: frames to a MAC address
# nobody has; the delay: netem, when the kernel has it): the outcomes
# must match.
. "$(dirname "$0")/lib.bash"

. "$it_here/faults_lib.bash"
PROG=$it_here/faults_timeouts.py
sn link app db --clear && sn link web db --clear || fail "simnet link --clear on new hosts failed"

# expect FILE REGEX WHAT: FILE's last line matches REGEX
expect() {
    tail -1 "$1" | grep -Eq -- "$2" || { show "$1" "$IT_DIR"/idle*.out; fail "$3"; }
}
T3='after (2\.[6-9]|3\.[0-9]|4\.[0-5]) s$'   # about 3 s

# probes RUN HOST-OF-DB: the partition probes, with RUN ("on" or "kon")
# starting the programs; cut and heal are the caller's, between the
# steps (functions partition_on / partition_off).
timeouts_probes() {
    local run=$1 db=$2 p=$3
    $run "$IT_DIR/idle1.out" db idle $p; i1=$BG_PID
    $run "$IT_DIR/idle2.out" db idle $((p + 1)); i2=$BG_PID
    $run "$IT_DIR/idle3.out" db idle $((p + 3)); i3=$BG_PID
    wait_line "$IT_DIR/idle1.out" '^listening' "$i1"
    wait_line "$IT_DIR/idle2.out" '^listening' "$i2"
    wait_line "$IT_DIR/idle3.out" '^listening' "$i3"
    $run "$IT_DIR/ka1.out" app keepalive "$db" $p "$IT_DIR/go-$side-$p"; k1=$BG_PID
    $run "$IT_DIR/ka2.out" web keepalive "$db" $((p + 1)) "$IT_DIR/go-$side-$p"; k2=$BG_PID
    $run "$IT_DIR/ka3.out" app keepalive "$db" $((p + 3)) "$IT_DIR/go-$side-$p" send; k3=$BG_PID
    wait_line "$IT_DIR/ka1.out" '^ready' "$k1"
    wait_line "$IT_DIR/ka2.out" '^ready' "$k2"
    wait_line "$IT_DIR/ka3.out" '^ready' "$k3"
    partition_on
    $run "$IT_DIR/synb.out" app syn "$db" $((p + 2)) 1 block; sb=$BG_PID
    $run "$IT_DIR/synp.out" app syn "$db" $((p + 2)) 1 poll; sp=$BG_PID
    $run "$IT_DIR/synu.out" app syn "$db" $((p + 2)) 6 block 1500; su=$BG_PID
    touch "$IT_DIR/go-$side-$p"
    wait_line "$IT_DIR/synb.out" '^connect' "$sb" 10
    wait_line "$IT_DIR/synp.out" '^poll' "$sp" 10
    wait_line "$IT_DIR/synu.out" '^connect' "$su" 10
    wait_line "$IT_DIR/ka1.out" '^recv' "$k1" 10
    wait_line "$IT_DIR/ka2.out" '^recv' "$k2" 10
    wait_line "$IT_DIR/ka3.out" '^recv' "$k3" 10
    partition_off
    expect "$IT_DIR/synb.out" "^connect failed ETIMEDOUT $T3" "$side: blocking connect, TCP_SYNCNT 1, partition"
    expect "$IT_DIR/synp.out" "^poll POLLOUT\|POLLERR\|POLLHUP SO_ERROR ETIMEDOUT $T3" \
        "$side: non-blocking connect, TCP_SYNCNT 1, partition"
    expect "$IT_DIR/synu.out" '^connect failed ETIMEDOUT after (1\.[3-9]|2\.[0-4]) s$' \
        "$side: blocking connect, TCP_USER_TIMEOUT 1.5 s, partition"
    expect "$IT_DIR/ka1.out" "^recv failed ETIMEDOUT $T3" "$side: keepalive 1/1/2 under a partition"
    expect "$IT_DIR/ka2.out" '^recv timed out after 6' "$side: keepalive 1/1/2 on a link not cut"
    expect "$IT_DIR/ka3.out" '^recv timed out after 6' \
        "$side: keepalive 1/1/2 with a byte unacknowledged (the retransmission limit rules, 924.6 s)"
    echo "$side, under a partition: connect (TCP_SYNCNT 1) $(tail -1 "$IT_DIR/synb.out" | cut -d' ' -f3-)," \
        "(TCP_USER_TIMEOUT 1.5 s) $(tail -1 "$IT_DIR/synu.out" | cut -d' ' -f3-);" \
        "keepalive 1/1/2: $(tail -1 "$IT_DIR/ka1.out" | cut -d' ' -f3-)"
}

# accept_probe RUN HOST-OF-DB PORT MODE: with 100 ms each way, the client's
# connect takes a round trip, the server's accept sees it half a round
# trip later.
accept_probe() {
    local run=$1 db=$2 p=$3 mode=$4
    $run "$IT_DIR/acc.out" db listen_at $p $mode; a=$BG_PID
    wait_line "$IT_DIR/acc.out" '^listening' "$a"
    $run "$IT_DIR/con.out" app connect_at "$db" $p; c=$BG_PID
    wait_line "$IT_DIR/con.out" '^connected' "$c" 5
    wait_line "$IT_DIR/acc.out" '^accepted' "$a" 5
    local t0 t1 t2
    t0=$(awk '/^start/ {print $2}' "$IT_DIR/con.out")
    t1=$(awk '/^connected/ {print $2}' "$IT_DIR/con.out")
    t2=$(awk '/^accepted/ {print $2}' "$IT_DIR/acc.out")
    awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { exit !(b - a >= 0.15 && b - a < 0.6 && c - a >= 0.25 && c - a < 0.9) }' ||
        fail "$side, accept by $mode: connect began $t0, returned $t1, accepted $t2 (100 ms each way)"
    echo "$side, accept by $mode: connect took $(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}') s, accepted after $(awk -v a="$t0" -v c="$t2" 'BEGIN {print c - a}') s"
}

side=simnet
partition_on() { sn partition app db || fail "simnet partition failed"; }
partition_off() { sn heal || fail "simnet heal failed"; }
timeouts_probes on db 7300
sn link app db --both --delay 100ms || fail "simnet link --delay failed"
accept_probe on db 7310 block
accept_probe on db 7311 poll
accept_probe on db 7312 epoll

# accept_order PORT MODE: app is 300 ms each way from db, web next to it;
# web connects 0.1 s after app and is accepted first, at once, app's
# connection when its handshake ends (Linux queues a connection when its
# third packet arrives: a slow one holds back no other).
accept_order() {
    local p=$1 mode=$2
    on "$IT_DIR/two.out" db accept_two $p $mode; a=$BG_PID
    wait_line "$IT_DIR/two.out" '^listening' "$a"
    on "$IT_DIR/far.out" app connect_tag db $p far; f=$BG_PID
    sleep 0.1
    on "$IT_DIR/near.out" web connect_tag db $p near; n=$BG_PID
    wait_line "$IT_DIR/two.out" '^accepted far' "$a" 10
    local t0 t1 t2
    t0=$(awk '/^start/ {print $2}' "$IT_DIR/far.out")
    t1=$(awk '/^accepted near/ {print $3}' "$IT_DIR/two.out")
    t2=$(awk '/^accepted far/ {print $3}' "$IT_DIR/two.out")
    grep -q '^accepted near' <(grep '^accepted' "$IT_DIR/two.out" | head -1) &&
        awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { exit !(b - a < 0.6 && c - a >= 0.85 && c - b >= 0.3) }' ||
        { show "$IT_DIR/two.out"; fail "accept order by $mode: far began $t0, near accepted $t1, far $t2 (300 ms each way)"; }
    echo "accept order by $mode: near accepted after $(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}') s, far after $(awk -v a="$t0" -v c="$t2" 'BEGIN {print c - a}') s"
}
sn link app db --both --delay 300ms || fail "simnet link --delay failed"
accept_order 7313 block
accept_order 7314 poll
sn link app db --both --clear
check_arena

# ---- the same against Linux ----
if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null; then
    echo "not root, or no ip(8): no comparison with the kernel"
    echo ok
    exit 0
fi
A4=10.1.0.1 B4=10.1.0.2
NA=sn-tmo-$$-a NB=sn-tmo-$$-b
ns_cleanup() { ip netns del "$NA" 2>/dev/null; ip netns del "$NB" 2>/dev/null; it_cleanup; }
trap ns_cleanup EXIT
if ! { ip netns add "$NA" && ip netns add "$NB"; } 2>/dev/null; then
    echo "cannot make namespaces here: no comparison with the kernel"
    echo ok
    exit 0
fi
ip -n "$NA" link add veth-a type veth peer name veth-b netns "$NB" || fail "veth pair"
ip -n "$NA" addr add "$A4/24" dev veth-a && ip -n "$NB" addr add "$B4/24" dev veth-b || fail "addresses"
ip -n "$NA" link set veth-a up && ip -n "$NB" link set veth-b up && ip -n "$NA" link set lo up || fail "veth up"
# kon OUT HOST ARGS...: the program on the kernel, db in namespace A, app
# in B (web too: its link is never cut, so it shares A's namespace).
kon() {
    local o=$1 h=$2 ns=$NB
    shift 2
    [ "$h" = app ] || ns=$NA
    bg "$o" - ip netns exec "$ns" "$PY" "$PROG" "$@"
}
# The partition: each side's frames carry a MAC address the other side
# does not have (a permanent neighbour entry), so the receiving veth
# drops them and the sender's stack sees nothing fail, as behind a cut
# cable.  Needs no tc classifier or iptables.
MA=$(ip -n "$NA" -br link show veth-a | awk '{print $3}')
MB=$(ip -n "$NB" -br link show veth-b | awk '{print $3}')
partition_on() {
    ip -n "$NA" neigh replace "$B4" lladdr 02:00:00:00:0d:0d dev veth-a nud permanent &&
        ip -n "$NB" neigh replace "$A4" lladdr 02:00:00:00:0d:0d dev veth-b nud permanent ||
        fail "cannot cut the veth pair"
}
partition_off() {
    ip -n "$NA" neigh replace "$B4" lladdr "$MB" dev veth-a nud permanent
    ip -n "$NB" neigh replace "$A4" lladdr "$MA" dev veth-b nud permanent
}
side=kernel
timeouts_probes kon "$A4" 7300
if ! command -v tc >/dev/null ||
    ! ip netns exec "$NA" tc qdisc add dev veth-a root netem delay 100ms 2>"$IT_DIR/tc.err"; then
    echo "no netem qdisc here ($(head -1 "$IT_DIR/tc.err" 2>/dev/null)): accept times not compared with the kernel"
    echo ok
    exit 0
fi
ip netns exec "$NB" tc qdisc add dev veth-b root netem delay 100ms || fail "netem delay"
accept_probe kon "$A4" 7310 block
accept_probe kon "$A4" 7311 poll
accept_probe kon "$A4" 7312 epoll
echo ok
