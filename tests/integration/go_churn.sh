#!/usr/bin/env bash
# A Go client making connection after connection (build/bench/go_echo -m
# conn: dial, send 1 byte, read the echo, close, for 0.5 s; a Go server
# in a second process), six times under `simnet run`.  Go's netpoller
# waits in epoll_wait (edge-triggered) on one thread while others poll it
# with timeout 0: an input edge recorded but never reported, or a bell's
# edge taken by a thread that did not look, left the client waiting
# forever for its echo (1 run in 2-15 stalled before).
. "$(dirname "$0")/lib.bash"

root=$(cd "$it_here/../.." && pwd)
SIMNET=$root/scripts/simnet
prog=$root/build/bench/go_echo
[ -x "$prog" ] || fail "build/bench/go_echo is not built (make test builds it; package golang-go)"
for run in 1 2 3 4 5 6; do
    out=$IT_DIR/run$run.out
    timeout --foreground -k 1 15 env SIMNET_DIR="$IT_DIR" BENCH_SECS=0.5 \
        "$SIMNET" run -n "$IT_NET" -- "$prog" -m conn >"$out" 2>&1
    rc=$?
    [ "$rc" -eq 0 ] || { show "$out"; fail "run $run: go_echo -m conn $(rcstr $rc) (a stalled connection?)"; }
    read -r _ _ rate _ <<<"$(grep '^RESULT go_conn_rate ' "$out")"
    [ -n "${rate:-}" ] || { show "$out"; fail "run $run: no result line"; }
    echo "run $run: $rate conn/s"
done
echo ok
