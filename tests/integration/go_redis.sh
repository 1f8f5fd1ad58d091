#!/usr/bin/env bash
# A Go client (build/go/resp_client: RESP over net.Conn, stdlib only)
# under `simnet run` against redis-server under the library in the same
# network: SET/GET/DEL of a fresh value, then 800 INCRs pipelined over 8
# connections at once.  Needs the trap of calls that bypass libc (issue
# 12): without it the Go client dials the kernel, where nothing listens.
. "$(dirname "$0")/lib.bash"

root=$(cd "$it_here/../.." && pwd)
SIMNET=$root/scripts/simnet
cli=$root/build/go/resp_client
[ -x "$cli" ] || fail "build/go/resp_client is not built (make go; package golang-go)"
for p in redis-server ss; do
    command -v "$p" >/dev/null || fail "$p is not installed (packages redis-server, iproute2)"
done
P=$(free_kernel_port) || fail "no free kernel port"
srv=$IT_DIR/redis.out
bg "$srv" "$IT_NET" redis-server --save '' --appendonly no --port "$P" \
    --bind 127.0.0.1 --dir "$IT_DIR" --logfile '' --daemonize no
spid=$BG_PID
wait_line "$srv" 'Ready to accept connections' "$spid"

val="go-$RANDOM-$(date +%s%N)"
out=$IT_DIR/client.out
timeout --foreground -k 1 10 env SIMNET_DIR="$IT_DIR" "$SIMNET" run -n "$IT_NET" -- \
    "$cli" "127.0.0.1:$P" "simnet:go" "$val" >"$out" 2>&1 ||
    { show "$out"; fail "the Go client $(rcstr $?)"; }
printf '%s\n' "SET -> OK" "GET -> $val" "DEL -> 1" "GET -> (nil)" >"$IT_DIR/want"
head -n 4 "$out" | cmp -s - "$IT_DIR/want" || { show "$out"; fail "the Go client's SET/GET/DEL/GET went wrong"; }
grep -q '^800 pipelined INCRs over 8 connections -> 800$' "$out" || { show "$out"; fail "pipelined INCRs went wrong"; }

ss -Htan >"$IT_DIR/ss" 2>&1 || fail "ss -tan failed"
kernel_has_port "$P" "$IT_DIR/ss" && { show "$IT_DIR/ss"; fail "ss shows a kernel socket on redis' port $P"; }
check_arena
echo "Go RESP client under simnet run: SET/GET/DEL, 800 pipelined INCRs over 8 connections; not in ss"
echo ok
