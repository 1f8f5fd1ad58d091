#!/usr/bin/env bash
# "Free when unused" (issue 14): with no fault, a wait reads the clock no
# more often than before faults existed -- 1000 poll, select and
# epoll_wait with a zero timeout take at most 2000, 4000 and 2000
# clock_gettime calls (their deadline and what is left of it; select
# also times itself to update its timeval), counted by a shim
# preloaded after the library (tests/integration/clock_count.c).  With a
# delay on the link the same waits read it once more each (the time of
# their look: core/net.h sn_sock_due_since), which shows that the shim
# sees the library's calls.
. "$(dirname "$0")/lib.bash"
. "$it_here/faults_lib.bash"
prog=$IT_DIR/clock_count shim=$IT_DIR/clock_shim.so
{ cc -O1 -shared -fPIC -DSHIM -o "$shim" "$it_here/clock_count.c" &&
  cc -O1 -o "$prog" "$it_here/clock_count.c" -ldl; } 2>"$IT_DIR/cc.err" ||
    { show "$IT_DIR/cc.err"; fail "cannot build clock_count.c"; }

count() {   # PORT: the counts, "poll N select N epoll N"
    timeout --foreground -k 1 10 env LD_PRELOAD="$SIMNET_LIB $shim" SIMNET_DIR="$IT_DIR" \
        SIMNET_NETWORK="$IT_NET" "$prog" "$1" 2>&1
}

# counts NAME RESULT: "poll N select N epoll N" into $got (N N N)
counts() {
    read -r w1 p w2 s w3 e <<<"$2"
    [ "$w1 $w2 $w3" = "poll select epoll" ] && [[ "$p$s$e" =~ ^[0-9]+$ ]] ||
        fail "$1: clock_count said '$2'"
    got=("$p" "$s" "$e")
}
most=(2000 4000 2000)        # at commit 8def423, before delays existed

r=$(count 7230) || fail "clock_count: $r"
counts "no fault" "$r"
for i in 0 1 2; do
    [ "${got[i]}" -ge 1000 ] && [ "${got[i]}" -le "${most[i]}" ] ||
        fail "no fault: more clock reads than before delays existed (at most ${most[*]}): $r"
done
echo "no fault: $r"

sn link default default --delay 1ms || fail "simnet link --delay 1ms failed"
r=$(count 7231) || fail "clock_count, delayed: $r"
counts "delay" "$r"
for i in 0 1 2; do
    [ "${got[i]}" -gt "${most[i]}" ] ||
        fail "a delayed link: no more clock reads than without ($r): does the shim see the library's?"
done
echo "delay 1ms: $r"
check_arena
echo ok
