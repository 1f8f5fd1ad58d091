#!/usr/bin/env bash
# Wake-ups for data due a little later (build/due_wake, from
# tests/integration/due_wake.c): with 0-100 us of delay each way
# (50 us +- 50 us), 1000 one-byte round trips, each side waiting by
# select, poll, epoll_wait or a blocking recv.  No wait may last until its
# 300 ms bound: data that came due between a waiter's look and its sleep
# used to wake nobody (2-3 % of waits; iperf3 stalled in faults_apps).
. "$(dirname "$0")/lib.bash"

. "$it_here/faults_lib.bash"
prog=$(cd "$it_here/../.." && pwd)/build/due_wake
[ -x "$prog" ] || fail "build/due_wake is not built (make test builds it)"
sn link app db --both --delay 50us --jitter 50us || fail "simnet link --delay 50us failed"

port=7200
for mode in select poll epoll block; do
    bg "$IT_DIR/echo-$mode.out" - "$SIMNET" run -n "$IT_NET" --host db -- "$prog" echo $port $mode
    e=$BG_PID
    wait_line "$IT_DIR/echo-$mode.out" '^listening' "$e"
    # On a failure the echo's own words too: a reset seen by the pinger
    # means the echo ended first (seen twice in make test under load, not
    # reproduced alone: this says why next time).
    r=$("$SIMNET" run -n "$IT_NET" --host app -- "$prog" ping db $port $mode 1000 2>&1) ||
        { sleep 0.5; show "$IT_DIR/echo-$mode.out"; fail "$mode: ping: $r"; }
    wait_line "$IT_DIR/echo-$mode.out" '^echo late' "$e"
    read -r _ n _ late _ slow <<<"$r"
    el=$(awk '/^echo late/ {print $3}' "$IT_DIR/echo-$mode.out")
    [ "$n" = 1000 ] && [ "$late" = 0 ] && [ "$el" = 0 ] ||
        fail "$mode: waits that ran to their 300 ms bound: $late of the pinger's, $el of the echo's ($r)"
    echo "$mode: slowest wait $slow us"
    port=$((port + 1))
done
check_arena
echo ok
