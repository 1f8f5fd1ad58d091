#!/usr/bin/env bash
# Lifecycle 12: a preloaded process blocked for about 1 s must not burn
# CPU (no busy polling): in recv, recv with SO_RCVTIMEO 1 s (fails with
# EAGAIN), accept, poll (woken by data / 1 s timeout), select, epoll
# (woken / 1 s timeout).  A partner process wakes it 1 s after each
# "go".  The waiter measures its own CPU time over the blocked call
# (getrusage RUSAGE_SELF: every thread; and /proc/self/stat ticks): each
# must stay under 50 ms, the call must really have blocked ~1 s (0.9-3 s)
# and returned what Linux returns.
. "$(dirname "$0")/lib.bash"

P=7700 L=7701 LIMIT_MS=50
part=$IT_DIR/partner.out wait=$IT_DIR/waiter.out
bg "$part" "$IT_NET" "$PY" "$it_here/lifecycle.py" idle-partner 127.0.0.1 "$P" "$L"
ppid=$BG_PID
wait_line "$part" '^ready ' "$ppid"
bg "$wait" "$IT_NET" "$PY" "$it_here/lifecycle.py" idle-waiter 127.0.0.1 "$P" "$L"
wpid=$BG_PID
wait_exit "$wpid"; rc=$?
[ "$rc" -eq 0 ] || { show "$wait" "$part"; fail "waiter $(rcstr $rc)"; }
wait_exit "$ppid" || { show "$part"; fail "partner $(rcstr $?)"; }

# mode -> what the call must have returned (1=0x1: our socket, POLLIN)
declare -A want=(
    [recv]="data:x"
    [recv-rcvtimeo]="error:EAGAIN"
    [accept]="accepted"
    [poll]="events:1=0x1+data:x"
    [poll-timeout]="events:none"
    [select]="readable:sock+data:x"
    [epoll]="events:1=0x1+data:x"
    [epoll-timeout]="events:none"
)
summary=""
for mode in recv recv-rcvtimeo accept poll poll-timeout select epoll epoll-timeout; do
    line=$(grep "^mode $mode " "$wait") || { show "$wait"; fail "no result for $mode"; }
    set -- $line
    wall=$4 cpu=$6 stat=$8 res=${10}
    [ "$wall" -ge 900 ] && [ "$wall" -le 3000 ] || { show "$wait"; fail "$mode: blocked $wall ms, expected about 1000"; }
    [ "$res" = "${want[$mode]}" ] || { show "$wait"; fail "$mode: returned $res, expected ${want[$mode]}"; }
    [ "$cpu" -lt "$LIMIT_MS" ] || { show "$wait"; fail "$mode: $cpu ms of CPU (getrusage) while blocked $wall ms (limit $LIMIT_MS)"; }
    [ "$stat" -lt "$LIMIT_MS" ] || { show "$wait"; fail "$mode: $stat ms of CPU (/proc/self/stat) while blocked $wall ms (limit $LIMIT_MS)"; }
    summary+="$mode ${cpu}ms, "
done
check_arena
echo "CPU while blocked ~1 s: ${summary%, }"
echo ok
